"""Reading and writing policies as YAML or JSON, and finding the ready-made packs.

Every problem in a policy is reported at once, each with the path of the field at
fault (``content_filters[2].input_strength``), so a user fixes a file in one pass.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from steward.errors import PolicyError, PolicyNotFoundError
from steward.policy.schema import Policy
from steward.validation import validation_problems

__all__ = ["dump_policy", "list_packs", "load_pack", "load_policy", "parse_policy", "parse_policy_text"]

#: A policy file larger than this is refused before parsing (the largest valid policy,
#: 10,000 words of 100 characters, is about 1.1 MB).
POLICY_FILE_MAX_BYTES = 4 << 20


def parse_policy(data: Any, *, origin: str = "policy") -> Policy:
    """Validate a decoded policy document; raise :class:`PolicyError` naming every bad field."""
    if not isinstance(data, dict):
        raise PolicyError(f"{origin} must be a mapping of fields, not {type(data).__name__}")
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        problems = [
            (path or "(policy)", msg) for path, msg in validation_problems(exc.errors(include_url=False))
        ]
        raise PolicyError(f"{origin} is invalid", problems=problems) from None


def parse_policy_text(text: str, *, origin: str = "policy") -> Policy:
    """Parse YAML or JSON text (JSON is YAML) into a validated policy."""
    if len(text.encode("utf-8", "surrogatepass")) > POLICY_FILE_MAX_BYTES:
        raise PolicyError(f"{origin} is larger than {POLICY_FILE_MAX_BYTES} bytes")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise PolicyError(f"{origin} is not valid YAML or JSON{where}") from None
    return parse_policy(data, origin=origin)


def _pack_dir() -> resources.abc.Traversable:
    return resources.files("steward.policy") / "packs"


def list_packs() -> list[str]:
    """Names of the ready-made policy packs shipped with Steward, sorted."""
    return sorted(p.name.removesuffix(".yaml") for p in _pack_dir().iterdir() if p.name.endswith(".yaml"))


def load_policy(ref: str | Path) -> Policy:
    """Load a policy from a file path, or a ready-made pack by name (``default``)."""
    path = Path(ref)
    if path.suffix.lower() in {".yaml", ".yml", ".json"} or path.exists():
        if not path.is_file():
            raise PolicyNotFoundError(f"policy file {str(path)!r} does not exist")
        if path.stat().st_size > POLICY_FILE_MAX_BYTES:
            raise PolicyError(f"policy file {str(path)!r} is larger than {POLICY_FILE_MAX_BYTES} bytes")
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise PolicyError(f"policy file {str(path)!r} is not UTF-8 (byte {exc.start})") from None
        return parse_policy_text(text, origin=f"policy file {str(path)!r}")
    name = str(ref)
    if name not in list_packs():
        raise PolicyNotFoundError(f"no policy file or pack named {name!r}; packs: {', '.join(list_packs())}")
    return load_pack(name)


def load_pack(name: str) -> Policy:
    """A ready-made pack by name, never a file: for callers (HTTP) who must not reach the file system."""
    if name not in list_packs():
        raise PolicyNotFoundError(f"no policy pack named {name!r}; packs: {', '.join(list_packs())}")
    text = (_pack_dir() / f"{name}.yaml").read_text(encoding="utf-8")
    return parse_policy_text(text, origin=f"policy pack {name!r}")


def dump_policy(policy: Policy, *, fmt: str = "yaml") -> str:
    """Serialise a policy as YAML (default) or JSON."""
    data = policy.to_dict()
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
