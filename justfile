# CAMS Live: every recipe is a verb. Run them through ./dev, which installs what is missing.
set dotenv-load := false
# Arguments reach commands as they were typed: ./dev test -m "not e2e" works.
set positional-arguments

# list the recipes
help:
    @just --list

# start the whole stack on embedded defaults (nats-server, SQLite, every service)
up *args:
    uv run python -m devstack up {{args}}

# apply database migrations for every service
migrate:
    uv run python -m devstack migrate

# write the next Alembic revision of a service from its models: just revision bookings "add bookings"
revision service message:
    uv run python -m runtime {{service}} revision "{{message}}"

# run the whole test suite: unit, integration (NATS, SQLite, PostgreSQL), end to end
test *args:
    uv run pytest "$@"

# lint and type-check
lint:
    uv run ruff check .
    uv run ruff format --check .
    MYPYPATH="$(printf '%s:' libs/*/src services/*/src deploy/*/src)" uv run mypy libs/*/src services/*/src deploy/*/src

# format the code
fmt:
    uv run ruff format .
    uv run ruff check --fix .

# regenerate the checked-in JSON Schemas of every contract
schemas:
    uv run python -m contracts.schemas write

# check that this machine has what the stack needs
doctor:
    uv run python -m devstack doctor

# run the benchmarks under bench/
bench:
    uv run python bench/realtime_broadcast.py
    uv run python bench/admin_today.py
    uv run python bench/notifications_bell.py
    uv run python bench/rest_to_frame.py
    uv run python bench/idle_connections.py
