"""Uploads of the contributor portal and of the upload API: limits, a private place on disk, the
organisation's mapping spec, writes to the case store, and ingests that run in the background.

A file is read from the request as it arrives (``receive_form``: a multipart body parsed while it streams,
after the route has checked who is asking, so nobody can fill the disk without an account): its bytes are
counted and the upload stops at ``MAX_UPLOAD_BYTES`` (413). It is written straight into a folder of its own
under ``<store>/uploads/`` (mode 0700; the file 0600), which is removed once the file is ingested or
refused; folders a crash left behind are removed a day later. ``check_type`` then accepts a CSV, an Excel
workbook (.xlsx), JSON or Parquet by its extension *and* its content (415 otherwise: a renamed binary,
an old .xls, a PDF), so a file is never read by the wrong reader.

An organisation's uploads are read with the mapping spec the hub team approved for it (``org_spec``): a
built-in spec's name, or the YAML text of its own spec (parsed as ``load_spec`` parses a file, and named
``org:<name>`` in the batch's provenance). Every portal write to the case store goes through the library
(``hub.writer()``), one at a time in this process (``write_store``), so two uploads wait for each other
instead of failing; reads never wait long (``read_store``: 5 s, then a sentence).

A browser's upload is ingested in a background thread (``start_job``), one per organisation at a time;
its status page shows the stage ``ingest_file`` reports (read, map, validate, store) until it ends. The
audit entry of an upload or resubmission is written when its batch is stored, by whoever stored it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import secrets
import shutil
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, TypeVar

import duckdb
from fastapi import Request
from python_multipart import MultipartParser
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import parse_options_header

from ctdhub.errors import ConfigError, CtdhubError, UsageError
from ctdhub.ingest import IngestReport, Progress, file_sha256
from ctdhub.mapping import MappingSpec, builtin_specs, load_spec, parse_spec
from ctdhub.portal.jobs import run_in_background
from ctdhub.publish.web.i18n import N_
from ctdhub.store import Hub
from ctdhub.store.accounts import Organisation
from ctdhub.store.auditlog import record

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_UPLOAD_BYTES = 200 * 1024 * 1024  # a case file; checked while the body arrives
MAX_SPEC_BYTES = 1_000_000  # a mapping spec is a few kB
MAX_FIELD_BYTES = 64 * 1024  # a text field of a form (the CSRF token, a choice)
MAX_PARTS = 20  # fields and files of one form
FORM_SLACK = 64 * 1024  # a form's bytes beside its files (boundaries, headers, small fields)
UPLOAD_DIR = "uploads"  # under the store: one private folder per upload, removed after it
STALE_AFTER = timedelta(days=1)  # folders a crash left behind
STORE_WAIT = 5.0  # seconds a page waits for the store, or for this process's other writes
JOBS_KEPT = timedelta(hours=6)  # a finished job's status page lives this long

# extensions accepted, and the kind of content each must have
KINDS: dict[str, str] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".xlsx": "xlsx",
    ".json": "json",
    ".jsonl": "jsonl",
    ".parquet": "parquet",
}
RESUBMIT_SUFFIXES = (".csv", ".xlsx")  # what a quarantine export is saved as
KIND_NAMES = {
    "csv": "CSV",
    "xlsx": "Excel (.xlsx)",
    "json": "JSON",
    "jsonl": "JSON lines",
    "parquet": "Parquet",
}
# the first bytes of binary files that are none of the kinds above
MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a ZIP archive"),
    (b"PAR1", "a Parquet file"),
    (b"\xd0\xcf\x11\xe0", "an old Excel (.xls) or Word document"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"MZ", "a Windows program"),
    (b"\x7fELF", "a program"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
)
SNIFF_BYTES = 64 * 1024

BUSY = N_("The hub store is in use (a release being built or a file being ingested); try again when it ends.")
NO_MAPPING = N_(
    "Your organisation has no approved mapping spec yet, so its files cannot be read: draft one on the "
    "Mapping page and send it to the hub team."
)
DUPLICATE = N_("This exact file (same content) was ingested already, so nothing was ingested.")


class UploadError(CtdhubError):
    """A refused upload: one sentence, and the HTTP status that says why (400, 409, 413, 415)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status

    def to_dict(self) -> dict[str, object]:
        names = {409: "Conflict", 413: "FileTooLarge", 415: "UnsupportedFileType"}
        return {"error": names.get(self.status, "BadUpload"), "message": str(self)}


def status_of(exc: CtdhubError) -> int:
    """The HTTP status of a refusal: an UploadError's own; 409 for a change the store's state does not
    allow now (a busy store, a file ingested already, a batch reverted already); else 400 (the file, the
    spec or the request is wrong)."""
    if isinstance(exc, UploadError):
        return exc.status
    if isinstance(exc, UsageError | ConfigError):
        return 400
    conflicts = (
        "already ingested",
        "is writing to the hub store",
        "is busy",
        "revert those first",
        "already reverted",
    )
    return 409 if any(c in exc.message for c in conflicts) else 400


def mb(n: int) -> str:
    return f"{n / 1024 / 1024:g} MB"


# --- a private place on disk ---------------------------------------------------------------------


def new_folder(hub: Hub) -> Path:
    """A new private folder for one upload under ``<store>/uploads/`` (0700), after removing stale ones."""
    root = hub.path / UPLOAD_DIR
    root.mkdir(mode=0o700, exist_ok=True)
    root.chmod(0o700)  # also when it was made otherwise
    cutoff = time.time() - STALE_AFTER.total_seconds()
    for old in root.iterdir():
        with contextlib.suppress(OSError):
            if old.stat().st_mtime < cutoff:
                shutil.rmtree(old, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix="up-", dir=root))


def remove_folder(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def safe_name(filename: str) -> str:
    """The client's file name as kept (the batch's file name): its last part, letters, digits, spaces and
    ``.-_()`` only, at most 120 characters, its extension kept."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    clean = re.sub(r"[^\w.\- ()]", "_", base).strip(" .")
    p = Path(clean or "upload")
    suffix = p.suffix if len(p.suffix) <= 10 else ""
    stem = (p.name[: -len(suffix)] if suffix else p.name)[:110].strip(" .") or "upload"
    return stem + suffix


def without_folder(message: str, folder: Path) -> str:
    """A library sentence about a file in `folder`, without the store's path."""
    return re.sub(re.escape(str(folder)) + r"(/[^/\s]+)*/", "", message).replace(str(folder), "")


# --- reading a multipart form as it arrives ----------------------------------------------------------


@dataclass
class Received:
    """A form read by ``receive_form``: its text fields and its files (field name -> saved file)."""

    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)

    def field(self, name: str) -> str:
        return self.fields.get(name, "")


class _FormSink:
    """The parser's callbacks: text fields kept in memory (bounded), files written into `folder` while
    they arrive, each counted against its limit."""

    def __init__(self, folder: Path, limits: Mapping[str, int], field_limit: int) -> None:
        self.folder, self.limits, self.field_limit = folder, limits, field_limit
        self.form = Received()
        self.parts = 0
        self._header = b""
        self._value = b""
        self._disposition = b""
        self._name = ""
        self._text = bytearray()
        self._file: IO[bytes] | None = None
        self._skip = False  # a file input left empty: browsers send it with no name and no bytes
        self._size = 0

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self.begin,
            "on_header_field": self.header_field,
            "on_header_value": self.header_value,
            "on_header_end": self.header_end,
            "on_headers_finished": self.headers_done,
            "on_part_data": self.data,
            "on_part_end": self.end,
        }

    def begin(self) -> None:
        self._disposition, self._name, self._text = b"", "", bytearray()
        self._file, self._skip, self._size = None, False, 0

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self._header += data[start:end]

    def header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def header_end(self) -> None:
        if self._header.lower() == b"content-disposition":
            self._disposition = self._value
        self._header, self._value = b"", b""

    def headers_done(self) -> None:
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise UploadError(N_("The form has too many fields."))
        _, options = parse_options_header(self._disposition)
        self._name = options.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" not in options:
            return
        filename = options[b"filename"].decode("utf-8", "replace")
        if self._name not in self.limits or self._name in self.form.files:
            raise UploadError(N_("The form sends a file it does not ask for."))
        if not filename:
            self._skip = True
            return
        sub = self.folder / self._name  # one folder per field: two files may share a name
        sub.mkdir(mode=0o700, exist_ok=True)
        path = sub / safe_name(filename)
        self._file = os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")
        self.form.files[self._name] = path

    def data(self, data: bytes, start: int, end: int) -> None:
        size = end - start
        if self._file is not None:
            self._size += size
            if self._size > self.limits[self._name]:
                raise UploadError(too_large(self.limits[self._name]), 413)
            self._file.write(data[start:end])  # a chunk of a local file: short, even in the event loop
        elif not self._skip:
            if len(self._text) + size > self.field_limit:
                raise UploadError(N_("A field of the form is too long."), 413)
            self._text += data[start:end]

    def end(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        elif not self._skip and self._name:
            self.form.fields[self._name] = self._text.decode("utf-8", "replace")

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


def too_large(limit: int) -> str:
    return f"The file is larger than {mb(limit)}, the most the hub accepts in one upload; split it in parts."


async def receive_form(
    request: Request, folder: Path, files: Mapping[str, int], *, field_limit: int = MAX_FIELD_BYTES
) -> Received:
    """Read the request's multipart form as it arrives: its text fields (each at most `field_limit` bytes)
    and the files of the fields named in `files`, each saved into `folder` and stopped at its limit in
    bytes (UploadError 413). The caller removes `folder` whatever happens."""
    _, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data") or not boundary:
        raise UploadError(N_("Send the file as a multipart/form-data form (a file field named 'file')."))
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > sum(files.values()) + FORM_SLACK:
        raise UploadError(too_large(max(files.values())), 413)
    sink = _FormSink(folder, files, field_limit)
    parser = MultipartParser(boundary, sink.callbacks())
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except FormParserError:
        raise UploadError(N_("The form could not be read (a broken multipart body).")) from None
    finally:
        sink.close()
    return sink.form


# --- what a file is ------------------------------------------------------------------------------


def _binary_kind(head: bytes) -> str | None:
    """What a file that begins with `head` is, when it is binary (else None)."""
    for magic, name in MAGIC:
        if head.startswith(magic):
            return name
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 text, which the CSV reader reads
        return None
    return "binary data" if b"\x00" in head else None


def _is_workbook(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as z:
            return "xl/workbook.xml" in z.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def _is_parquet(path: Path, head: bytes) -> bool:
    if not head.startswith(b"PAR1") or path.stat().st_size < 8:
        return False
    with path.open("rb") as fh:
        fh.seek(-4, os.SEEK_END)
        return fh.read(4) == b"PAR1"


def _text_start(head: bytes) -> bytes:
    return head.removeprefix(b"\xef\xbb\xbf").lstrip()


def _content_fits(kind: str, path: Path, head: bytes) -> bool:
    if kind == "xlsx":
        return head.startswith(b"PK\x03\x04") and _is_workbook(path)
    if kind == "parquet":
        return _is_parquet(path, head)
    if _binary_kind(head) is not None:
        return False
    if kind == "json":
        return _text_start(head)[:1] in (b"[", b"{")
    if kind == "jsonl":
        return _text_start(head)[:1] == b"{"
    return True


def check_type(path: Path, suffixes: Mapping[str, str] = KINDS) -> str:
    """The kind of an uploaded file (a key of `suffixes`' values), from its extension and its content:
    UploadError 415 for an extension not accepted or content that is not what it says, 400 when empty."""
    name, suffix = path.name, path.suffix.lower()
    kind = suffixes.get(suffix)
    if kind is None:
        accepted = ", ".join(sorted({KIND_NAMES[k] for k in suffixes.values()}))
        raise UploadError(f"{name} cannot be uploaded: the hub accepts {accepted} files.", 415)
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if not head:
        raise UploadError(f"{name} is empty.")
    if not _content_fits(kind, path, head):
        found = "an Excel workbook" if _is_workbook(path) else _binary_kind(head)
        what = f"it is {found}" if found else f"its content is not {KIND_NAMES[kind]}"
        raise UploadError(
            f"{name} is not a {KIND_NAMES[kind]} file, though its name says so: {what} (was it renamed?).",
            415,
        )
    return kind


# --- the organisation's mapping spec -----------------------------------------------------------------


def org_spec(org: Organisation) -> MappingSpec:
    """The spec the organisation's uploads are read with (UploadError 409 when it has none)."""
    if org.mapping is None:
        raise UploadError(NO_MAPPING, 409)
    if org.mapping in builtin_specs():
        return load_spec(org.mapping)
    return parse_spec(org.mapping, f"org:{org.name}")


def mapping_label(org: Organisation) -> str:
    """How the organisation's approved spec is named on its pages ('' for none)."""
    if org.mapping is None:
        return ""
    return org.mapping if org.mapping in builtin_specs() else f"org:{org.name}"


# --- the case store: short reads, writes one at a time -----------------------------------------------


def read_store(hub: Hub, fn: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
    """Read the case store; while it is being written (here or by another process) a sentence (409)."""
    try:
        con = hub.connect(wait=STORE_WAIT)
    except (duckdb.Error, CtdhubError):  # this process writes: DuckDB refuses a read-only instance
        raise UploadError(BUSY, 409) from None
    try:
        return fn(con)
    finally:
        con.close()


_locks: dict[Path, threading.Lock] = {}
_locks_guard = threading.Lock()


def _write_lock(hub: Hub) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(hub.path, threading.Lock())


def write_store(hub: Hub, fn: Callable[[], T], *, wait: float | None = STORE_WAIT) -> T:
    """Run `fn`, which writes through the library (``hub.writer()``), after this process's other writes
    (waiting at most `wait` seconds; None: as long as they take). A read of this process that holds the
    store for a moment (DuckDB then refuses the writer) is waited out for a few seconds too."""
    lock = _write_lock(hub)
    if not lock.acquire(timeout=-1 if wait is None else wait):
        raise UploadError(BUSY, 409)
    try:
        deadline = time.monotonic() + STORE_WAIT
        while True:
            try:
                return fn()
            except duckdb.ConnectionException:
                if time.monotonic() >= deadline:
                    raise UploadError(BUSY, 409) from None
                time.sleep(0.1)
    finally:
        lock.release()


def refuse_known_file(hub: Hub, path: Path) -> None:
    """409 when a live batch holds a file of the same content (checked before an ingest, so that the
    refusal names no other organisation's batch)."""
    sha = file_sha256(path)
    found = read_store(
        hub,
        lambda con: con.execute(
            "SELECT 1 FROM batches WHERE file_sha256 = ? AND status IN ('active', 'pending') LIMIT 1", [sha]
        ).fetchone(),
    )
    if found:
        raise UploadError(DUPLICATE, 409)


def library_error(exc: CtdhubError, folder: Path) -> UploadError:
    """A library's refusal as an UploadError: its sentence without the store's path (and without another
    organisation's batch, should a file ingested already slip past ``refuse_known_file``)."""
    if isinstance(exc, UploadError):
        return exc
    message = DUPLICATE if "already ingested" in exc.message else without_folder(str(exc), folder)
    return UploadError(message, status_of(exc))


def counts_detail(r: IngestReport) -> str:
    """The audit entry's detail of a stored batch: its counts (never a value of a case)."""
    return (
        f"{r.rows_read} read, {r.rows_stored} stored, {r.rows_quarantined} quarantined, "
        f"{r.rows_skipped} skipped, {r.rows_with_warnings} with warnings"
    )


# --- background ingests ----------------------------------------------------------------------------------


@dataclass
class Job:
    """A file being ingested in the background for an organisation (or the last one, ended)."""

    id: str
    hub: Path
    org: str
    actor: str
    file: str
    action: str  # its audit action: "upload" or "resubmit"
    started: datetime
    stage: str = ""
    batch_id: str = ""
    rows: tuple[int, int, int] = (0, 0, 0)  # read, stored, quarantined
    error: str = ""
    finished: datetime | None = None

    @property
    def running(self) -> bool:
        return self.finished is None


_jobs: dict[str, Job] = {}
_jobs_guard = threading.Lock()


def get_job(job_id: str) -> Job | None:
    with _jobs_guard:
        return _jobs.get(job_id)


def running_job(hub: Hub, org: str) -> Job | None:
    with _jobs_guard:
        return next((j for j in _jobs.values() if j.hub == hub.path and j.org == org and j.running), None)


def start_job(
    hub: Hub,
    org: str,
    *,
    actor: str,
    remote: str,
    action: str,
    folder: Path,
    file: str,
    work: Callable[[Progress], IngestReport],
) -> Job:
    """Ingest a file (`file` names it on the status page) with `work` in a thread, then write the audit
    entry `action` and remove the file's private `folder`; one job per organisation at a time (409 while
    one runs, and `folder` is the caller's to remove)."""
    with _jobs_guard:
        now = datetime.now(UTC)
        for old in [k for k, j in _jobs.items() if j.finished and now - j.finished > JOBS_KEPT]:
            del _jobs[old]
        current = next((j for j in _jobs.values() if j.hub == hub.path and j.org == org and j.running), None)
        if current is not None:
            raise UploadError(
                f"A file of your organisation ({current.file}) is being ingested already; wait for it to end.",
                409,
            )
        job = Job(secrets.token_urlsafe(12), hub.path, org, actor, file, action, now)
        _jobs[job.id] = job
    run_in_background(
        job,
        lambda step: _ingest(hub, job, work, step, remote),
        name="ctdhub-upload",
        failed=lambda exc: str(library_error(exc, folder)),
        crashed=lambda exc: f"The file could not be ingested ({type(exc).__name__}).",
        cleanup=lambda: remove_folder(folder),
    )
    return job


def _ingest(
    hub: Hub, job: Job, work: Callable[[Progress], IngestReport], step: Callable[[str], None], remote: str
) -> None:
    """The ingest through the store's writer, then its audit entry."""
    report = write_store(hub, lambda: work(step), wait=None)
    job.batch_id = report.batch_id
    job.rows = (report.rows_read, report.rows_stored, report.rows_quarantined)
    try:
        record(hub, job.actor, job.action, report.batch_id, counts_detail(report), remote)
    except CtdhubError:  # the batch is stored all the same: say so in the log, not as a failure
        log.exception("the audit entry of batch %s could not be written", report.batch_id)
