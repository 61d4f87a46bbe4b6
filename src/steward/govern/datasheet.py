"""Datasheets for data sets (Gebru et al., "Datasheets for Datasets", 2021).

The seven sections are written by people; :class:`DatasetProfile` holds the facts Steward
measured itself (see :mod:`steward.govern.profile`), so a datasheet's numbers are never typed in.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from steward.govern.inventory import ID_PATTERN, LIST_MAX, Name, Text

__all__ = ["ColumnCounts", "DatasetProfile", "Datasheet"]

Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ColumnCounts(_Strict):
    """Value counts for one column (label balance or group representation), most frequent first."""

    column: Name
    counts: dict[Name, int] = Field(max_length=1000)
    other: int = Field(default=0, ge=0, description="rows whose value is outside the listed ones")
    missing: int = Field(default=0, ge=0)


class DatasetProfile(_Strict):
    """What Steward measured in a data file; PII is counted per entity type, never shown."""

    file_name: Name
    file_sha256: Sha256
    bytes: int = Field(ge=0)
    rows: int = Field(ge=0)
    columns: list[Name] = Field(max_length=1000)
    measured_at: AwareDatetime
    exact_duplicate_rows: int = Field(ge=0)
    label: ColumnCounts | None = None
    groups: list[ColumnCounts] = Field(default_factory=list, max_length=LIST_MAX)
    pii_policy: Name | None = None
    pii_rows_scanned: int = Field(default=0, ge=0)
    pii_columns: list[Name] = Field(default_factory=list, max_length=LIST_MAX)
    pii_counts: dict[Name, int] = Field(default_factory=dict, max_length=200)
    pii_rows_with_findings: int = Field(default=0, ge=0)


class Datasheet(_Strict):
    """A data set's datasheet: the seven questions of Gebru et al., plus measured facts."""

    id: Annotated[str, StringConstraints(pattern=ID_PATTERN)]
    name: Name
    version: Name
    licence: Name | None = None
    motivation: Text
    composition: Text
    collection: Text
    preprocessing: Text
    uses: Text
    distribution: Text
    maintenance: Text
    sensitive_attributes: list[Name] = Field(default_factory=list, max_length=LIST_MAX)
    profile: DatasetProfile | None = None
