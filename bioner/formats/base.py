"""What every corpus format shares: the reader interface, and reading a
file's text with the same one-line errors (`file:line: what is wrong. What
to do.`) whatever the format."""
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

from spacy.tokens import Doc

from ..errors import BionerError


@dataclass
class ReadOptions:
    """Settings of a corpus entry that readers use."""

    sentences_per_doc: int = 0  # group a file without document markers (IOB)
    strict: bool = False  # reject what would otherwise be repaired with a warning
    lang: str = "en"  # tokenizer for formats with raw text (PubTator)
    label_map: Optional[Dict[str, str]] = None  # source type -> label to learn (PubTator)


@dataclass
class SplitData:
    """One file, read: its Docs, format-specific counts for stats.json
    (`doc_markers` and `scheme` at least), and warnings to show the user."""

    docs: List[Doc]
    stats: Dict[str, Any]
    warnings: List[str] = field(default_factory=list)


class CorpusFormat(ABC):
    """A reader for one file layout. Register an instance in
    bioner/formats/__init__.py; corpus entries name it with `format:`."""

    name: str
    suffix: str  # fetched files are stored as assets/<corpus>/<split><suffix>
    document_unit: str  # what one Doc is, for stats.json: "PMID", ...

    @abstractmethod
    def read(self, path: Path, options: ReadOptions) -> SplitData:
        """Read and check `path`; raise BionerError(`file:line: ...`) on
        anything it cannot read."""


def line_error(path: Path, line: int, what: str) -> BionerError:
    return BionerError(f"{path}:{line}: {what}")


def decode(path: Path, raw: bytes) -> str:
    """Decode UTF-8 (an optional BOM is dropped); name the line of a bad byte."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise line_error(
            path,
            1,
            f"the file is UTF-16, not UTF-8. Re-save it as UTF-8, e.g. "
            f"`iconv -f utf-16 -t utf-8 {path.name}`.",
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        byte = raw[err.start]
        raise line_error(
            path,
            line,
            f"invalid UTF-8 (byte 0x{byte:02x}). Re-save the file as UTF-8, e.g. "
            f"`iconv -f latin1 -t utf-8 {path.name}`.",
        ) from None


def read_text(path: Path) -> str:
    """The decoded text of a corpus file that must exist and not be empty."""
    path = Path(path)
    if not path.exists():
        raise BionerError(f"{path}: file not found. Run the fetch step first.")
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise BionerError(f"{path}: cannot read the file ({err.strerror}). Check the path.") from None
    text = decode(path, raw)
    if not text.strip():
        raise line_error(path, 1, "the file is empty. Fetch it again (the download may have failed).")
    return text
