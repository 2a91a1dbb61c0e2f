"""The FastAPI application: REST under /api/v1, ops endpoints at the root."""

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from gateway.idempotency import HEADER, REPLAYED, IdempotencyMiddleware, KeyStore
from gateway.limits.body_size import BodySizeLimitMiddleware
from gateway.metrics import MetricsMiddleware
from gateway.routes import (
    absences,
    activity,
    activity_logs,
    admin,
    auth,
    bookings,
    broadcasting,
    children,
    errors,
    live_refresh,
    notifications,
    ops,
    schedules,
    time,
    trainers,
    users,
)
from gateway.state import GatewayState
from gateway.tracing import TracingMiddleware

API_PREFIX = "/api/v1"


def create_app(state: GatewayState) -> FastAPI:
    app = FastAPI(
        title="CAMS Live",
        version="0.1.0",
        description="REST gateway of CAMS Live",
        # `TracingMiddleware` makes the request's server span; FastAPI's own would add a second
        # one and a span per dependency, endpoint and serialization of every request.
        telemetry={"tracing": False},
    )
    app.state.gateway = state
    api = APIRouter(prefix=API_PREFIX, responses=errors.refusals(400, 413))
    for module in (
        auth,
        users,
        children,
        bookings,
        schedules,
        time,
        activity_logs,
        trainers,
        absences,
        admin,
        broadcasting,
        live_refresh,
        notifications,
        activity,
    ):
        api.include_router(module.router)
    app.include_router(api)
    app.include_router(ops.router)
    errors.install(app)
    # Inside CORS, so that a replayed answer gets its CORS headers too.
    app.add_middleware(
        IdempotencyMiddleware,
        store=KeyStore(state.new_uow, state.settings),
        prefix=API_PREFIX,
        max_body_bytes=state.settings.idempotency_max_body_bytes,
    )
    # Inside CORS, so that a browser can read its 413.
    app.add_middleware(BodySizeLimitMiddleware, max_body_bytes=state.settings.max_body_bytes)
    # Bearer tokens, not cookies: no credentials mode is needed for the browser.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=state.settings.cors_origins,
        allow_methods=["*"],
        allow_headers=["Authorization", "Content-Type", "X-Socket-ID", "traceparent", HEADER],
        expose_headers=["traceparent", REPLAYED],
        max_age=600,
    )
    app.add_middleware(MetricsMiddleware)
    app.add_middleware(TracingMiddleware)
    return app
