"""`coach app`: start the manager's page (coach/web/app.py) with Streamlit, on 127.0.0.1, usage statistics
off, file watcher off (an installed page never changes under a running server, and watching site-packages
costs start-up time and inotify watches).

Streamlit replaces this process (`python -m streamlit run`, by exec) rather than being imported: it owns its
event loop and signal handling, and `coach --help` must not pay for importing it.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("app", help="start the Reflection Coach page for managers (Streamlit, on 127.0.0.1)",
                       description="Start the Streamlit page for managers. It listens on 127.0.0.1 only and "
                       "sends no usage statistics; open the printed URL in a browser. Stop it with Ctrl+C.")
    p.add_argument("--port", type=int, default=None, help="port to listen on (default: Streamlit's, 8501; "
                   "`make run PORT=N` passes it)")
    p.set_defaults(func=cmd_app)


def app_path() -> Path:
    """The Streamlit script, inside the package (so a non-editable install finds it too)."""
    return Path(__file__).resolve().parent.parent / "web" / "app.py"


def streamlit_command(port: int | None = None) -> list[str]:
    """The exact command line `coach app` runs (tests check it)."""
    cmd = [sys.executable, "-m", "streamlit", "run", str(app_path()),
           "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none"]
    if port is not None:
        cmd += ["--server.port", str(port)]
    return cmd


def cmd_app(args) -> int:
    from .. import config
    from ..errors import UsageError

    if args.port is not None and not 1 <= args.port <= 65535:
        raise UsageError("--port must be between 1 and 65535")
    path = app_path()
    if not path.is_file():
        raise UsageError(f"the page is missing: {path} (reinstall the coach: pip install .)")
    import importlib.util

    if importlib.util.find_spec("streamlit") is None:
        raise UsageError("streamlit is not installed: pip install streamlit")
    config.setup_offline_env()
    env = dict(os.environ)
    env.setdefault("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")
    # the page runs in the package's folder (below): a relative folder given here must keep meaning this one
    for var in ("COACH_CORPUS_DIR", "COACH_DATA_DIR"):
        if env.get(var):
            env[var] = str(Path(env[var]).expanduser().resolve())
    # exec, not a child process: Ctrl+C and a supervisor's SIGTERM reach Streamlit itself and no
    # orphaned server is left listening when `coach app` is stopped
    cmd = streamlit_command(args.port)
    os.chdir(path.parent)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(cmd[0], cmd, env)
    return 0  # pragma: no cover - execve does not return
