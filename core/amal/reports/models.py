from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from amal.db import Base, utcnow


class ReportRun(Base):
    """A report computed for a period, kept as the funder will see it: the
    figures and violations at the time of the run, and who asked for it."""

    __tablename__ = "report_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_code: Mapped[str] = mapped_column(ForeignKey("territory.code"), index=True)
    report_code: Mapped[str] = mapped_column(String(80))
    period: Mapped[str] = mapped_column(String(40))
    # queued -> running -> done | failed; a job retried after a crash finds its
    # run still running and computes it again, a finished run is never redone
    status: Mapped[str] = mapped_column(String(20))
    error: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # the day the figures are computed for, fixed when the run is asked for, so
    # that a retry the next morning gives the same figures
    as_of: Mapped[date | None] = mapped_column(Date)
    progress: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # percent
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")


class ReportSubmission(Base):
    """A run the coordinator submitted to the funder, frozen: its figures, its
    files and the justification of each blocking violation it was sent with.
    ``sha256`` is the hash of the figures and files as sent. Only the latest
    submission of a report and period is current; earlier ones are kept, marked
    superseded."""

    __tablename__ = "report_submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_code: Mapped[str] = mapped_column(ForeignKey("territory.code"), index=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("report_run.id"), index=True)
    report_code: Mapped[str] = mapped_column(String(80))
    period: Mapped[str] = mapped_column(String(40))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    # [{"key", "rule", "message", "severity", "justification"}], every violation sent
    violations: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    sha256: Mapped[str] = mapped_column(String(64))
    submitted_by: Mapped[str] = mapped_column(String(80))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    superseded_at: Mapped[datetime | None]

    files: Mapped[list[SubmissionFile]] = relationship(
        cascade="all, delete-orphan", order_by="SubmissionFile.id"
    )


class SubmissionFile(Base):
    """One file of a submission (csv, xlsx, pdf) exactly as it was sent."""

    __tablename__ = "report_submission_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("report_submission.id", ondelete="CASCADE"), index=True
    )
    format: Mapped[str] = mapped_column(String(10))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
