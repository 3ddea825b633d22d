"""The operations guide documents every setting the server reads."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from laneway.config import Settings

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "operations.md"


def variables(settings: type[BaseSettings]) -> list[list[str]]:
    """Each setting's environment variable names (a setting may accept several)."""
    prefix = settings.model_config.get("env_prefix", "")
    found: list[list[str]] = []
    for name, field in settings.model_fields.items():
        kind = field.annotation
        if isinstance(kind, type) and issubclass(kind, BaseSettings):
            found += variables(kind)
        elif isinstance(field.validation_alias, AliasChoices):
            found.append([str(choice) for choice in field.validation_alias.choices])
        elif isinstance(field.validation_alias, str):
            found.append([field.validation_alias])
        else:
            found.append([field.alias or f"{prefix}{name}".upper()])
    return found


def test_every_setting_is_in_the_operations_guide() -> None:
    guide = GUIDE.read_text()
    names = variables(Settings)
    assert len(names) > 40  # the walk reached the nested settings
    missing = [n for n in names if not any(f"`{name}`" in guide for name in n)]
    assert not missing, f"document these in docs/operations.md: {missing}"
