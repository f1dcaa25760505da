"""`coach batch`'s run: many cases through one engine, concurrently, resumably, with a privacy guard.

Why it is built this way (see ``coach.batch`` for the whole story): requests to a remote model run
concurrently on one asyncio loop (litellm's async API) up to ``--concurrency``; retrieval is batched
(one embedding pass per chunk of about one wave of cases, ``pipeline.prepare_many``), and the next
chunk is prepared while the one before waits on the model; everything that embeds
runs on the ``CpuWorker`` thread, in order. That is why a case is run here as ``acompose`` on the
loop plus ``finish`` on the worker, which is ``pipeline.areflect`` split in two at its I/O boundary.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import signal
import time
from pathlib import Path
from typing import Any, Callable, Sequence

from ..common import pii
from ..common.text import plural
from ..errors import CoachError, UsageError
from .inputs import Case, Log, ParsedInput, cases_from_records, read_input, stderr_log
from .ledger import Ledger, error_text, usage_of
from ..turn import PII_MODES, Gate
from .outage import GaveUp, Pause, retried, store_outage, through
from .progress import Progress
from .results import ResultsFile, now, scenario_digest
from .summary import BatchCounts, BatchGaveUp, BatchInterrupted, write_report
from .worker import CpuWorker, once

from .chunks import CHUNK, DEFAULT_CONCURRENCY, FIRST_PASS, FIRST_WAVE_GAP, MAX_CONCURRENCY, MIN_CHUNK, chunk_size, plan_chunks  # noqa: F401,E501  (all of them: this module's interface)


class Runner(Ledger):
    def __init__(self, parsed: ParsedInput, results: ResultsFile, latest: dict[str, dict], model: str, opts,
                 k: int, concurrency: int, pii_mode: str, retry_errors: bool, store, chunk: int,
                 progress: Progress, log: Log, sections=None):
        super().__init__(parsed, results, latest, model, pii_mode, retry_errors, progress, log)
        self.sections = sections  # the report's case sections, drawn on the worker as cases finish
        self.drawn: concurrent.futures.Future | None = None  # the last section queued (the worker is FIFO)
        self.opts, self.k, self.store, self.concurrency, self.chunk = opts, k, store, concurrency, chunk
        self.in_flight: set[asyncio.Task] = set()
        self.signal: str | None = None
        from ..engines import get_engine

        self.remote = get_engine(model).is_remote
        self.paced = self.remote  # an in-process model does not answer on the event loop
        self.store_pause: Pause | None = None  # made on the loop (``run``): see coach/batch/outage.py
        self.model_pause: Pause | None = None
        self.gave_up: str | None = None        # why the run stopped waiting for a service, if it did

    # -- one case ----------------------------------------------------------------------------
    def _finish_local(self, prep, t0: float):
        from ..pipeline import answer

        return answer(prep, self.model, self.opts, since=t0)

    async def reflect(self, prep, cpu: CpuWorker, release: Callable[[], None],
                      answered: Callable[[], None] = lambda: None):
        """``pipeline.areflect`` with its CPU half (verification) moved to the worker thread.

        ``release`` frees the case's concurrency slot as soon as the model has answered, so the
        next request goes out while this answer waits its turn for verification; ``answered`` is told
        then too (a model that answered is up, whatever the verification takes)."""
        from ..pipeline import adraft, finish

        t0 = time.perf_counter()
        if not self.remote:
            out = await cpu.run(self._finish_local, prep, t0)
            answered()
            return out
        try:
            draft = await adraft(prep, self.model, self.opts)
        finally:
            release()
        answered()
        return await cpu.run(finish, prep, draft, self.model, prep.prep_s + time.perf_counter() - t0)

    async def run_case(self, case: Case, gate: Gate, prep, prep_error: str | None, cpu: CpuWorker,
                       release: Callable[[], None]) -> None:
        try:
            await self._run_case(case, gate, prep, prep_error, cpu, release)
        finally:
            release()

    async def _run_case(self, case: Case, gate: Gate, prep, prep_error: str | None, cpu: CpuWorker,
                        release: Callable[[], None]) -> None:
        t0 = time.perf_counter()
        rec = self.base(case.id, case.line, case.fields)
        rec["scenario_sha"] = scenario_digest(case.scenario)
        if gate.found:
            rec["pii"] = gate.record()
        key = getattr(self.opts, "api_key", None)

        async def slot(tries: int) -> Callable[[], None]:  # the case's own slot, then a fresh one per retry
            if not tries:
                return release
            await self.sem.acquire()
            return once(self.sem.release)

        try:
            if prep_error:
                raise CoachError(prep_error)
            assert self.model_pause is not None
            fb = await through(self.model_pause, lambda free, up: self.reflect(prep, cpu, free, up), slot=slot,
                               token=(case, gate, prep), explain=lambda e: error_text(e, key),
                               requeue=lambda tokens: self.retry_earlier(tokens, cpu))
            if gate.action == "redacted":
                fb.notices.append(f"Personal data was replaced with placeholders before this case was processed: "
                                  f"{pii.describe(gate.found)}.")
            feedback = fb.to_dict()
            rec.update(status="ok", feedback=feedback, elapsed_s=round(fb.elapsed_s or (time.perf_counter() - t0), 3))
            usage = usage_of(feedback)
            if usage:
                rec["usage"] = usage
        except asyncio.CancelledError:
            raise
        except GaveUp as e:  # never sent again: the model did not come back (the resume command sends it)
            rec.update(status="error", error=f"not sent: {e}", elapsed_s=round(time.perf_counter() - t0, 3))
        except Exception as e:  # one case's failure never stops the others
            rec.update(status="error", error=error_text(e, key), elapsed_s=round(time.perf_counter() - t0, 3))
        rec["finished_at"] = now()
        self.write(rec)
        if self.sections is not None:
            self.drawn = cpu.submit(self.sections.add, rec)  # queued behind the work answers wait on

    def retry_earlier(self, tokens: list, cpu: CpuWorker) -> None:
        """Send again, once the model is back, the cases whose failures started the pause: they were
        recorded as errors before it was clear that the model was away (their new line supersedes it)."""
        for case, gate, prep in tokens:
            self.counts.ran -= 1
            self.progress.counts["error"] = max(0, self.progress.counts.get("error", 0) - 1)
            self._spawn(case, gate, prep, None, cpu)

    def _spawn(self, case: Case, gate: Gate, prep, err: str | None, cpu: CpuWorker) -> None:
        async def go() -> None:
            await self.sem.acquire()
            await self.run_case(case, gate, prep, err, cpu, once(self.sem.release))

        task = asyncio.create_task(go())
        self.in_flight.add(task)
        task.add_done_callback(self.in_flight.discard)

    # -- the whole run -----------------------------------------------------------------------
    def _prepare(self, texts: list[str]):
        """One embedding pass for a chunk; if it fails, case by case so one bad case stays alone. A store
        that stopped answering (``store_outage``) fails the whole pass: ``_prepared`` waits for it."""
        from ..pipeline import prepare_many

        try:
            return [(p, None) for p in prepare_many(texts, self.k, self.store)]
        except CoachError as e:
            if not isinstance(e, UsageError):
                raise  # the store or the model is unusable: nothing in this batch can run
        except Exception as e:
            if store_outage(e):
                raise
        out: list[tuple[Any, str | None]] = []
        for t in texts:
            try:
                out.append((prepare_many([t], self.k, self.store)[0], None))
            except UsageError as e:
                out.append((None, str(e)))
            except CoachError:
                raise
            except Exception as e:
                if store_outage(e):
                    raise
                out.append((None, error_text(e, None)))
        return out

    async def _prepared(self, pending: concurrent.futures.Future, texts: list[str], cpu: CpuWorker):
        """The chunk ``pending`` prepares, prepared again while the store is away (``outage.retried``)."""
        assert self.store_pause is not None
        return await retried(self.store_pause, pending, lambda: cpu.submit(self._prepare, texts), store_outage,
                             lambda e: error_text(e, None))

    async def run(self, todo: list[tuple[Case, Gate]]) -> None:
        """Stream the cases: one chunk's requests go out while the next chunk is being prepared.

        The worker runs in order (FIFO), so the next chunk's preparation is submitted only once the
        chunk before it is being sent: finishes of answers that came back meanwhile queue ahead of
        it, and results are written as cases finish instead of after every case was embedded."""
        if not todo:
            return
        cpu = CpuWorker()
        sem = self.sem = asyncio.Semaphore(self.concurrency)
        self.store_pause = Pause(f"the store at {getattr(self.store, 'where', None) or 'its usual place'}",
                                 self.log, self.progress.note)
        where = getattr(self.opts, "api_base", None)
        self.model_pause = Pause(f"the model server at {where}" if where else f"the model {self.model}", self.log,
                                 self.progress.note)
        sent = 0
        plan = plan_chunks(len(todo), self.concurrency, self.chunk, FIRST_PASS if self.paced else None)
        chunks = [todo[r.start:r.stop] for r in plan]
        from ..embedding.embed import prefer_runtime

        cpu.submit(prefer_runtime)  # batches embed enough to pay onnxruntime's load back (coach/embed.py)
        pending: concurrent.futures.Future | None = cpu.submit(self._prepare, [g.text for _, g in chunks[0]])
        try:
            for ci, chunk in enumerate(chunks):
                assert pending is not None  # submitted when the chunk before started being sent
                try:
                    prepared = await self._prepared(pending, [g.text for _, g in chunk], cpu)
                except GaveUp as e:
                    self.gave_up = str(e)
                    pending = None
                    break
                pending = None
                if self.model_pause.gave_up:
                    break
                if ci + 1 < len(chunks):  # prepared while this chunk's requests wait on the model
                    pending = cpu.submit(self._prepare, [g.text for _, g in chunks[ci + 1]])
                for (case, gate), (prep, err) in zip(chunk, prepared):
                    await sem.acquire()
                    if self.model_pause.gave_up:  # the rest stays unsent: the resume command sends it
                        sem.release()
                        break
                    if 0 < sent < self.concurrency and self.paced:  # the first wave, spread out (FIRST_WAVE_GAP)
                        await asyncio.sleep(FIRST_WAVE_GAP)
                    sent += 1
                    task = asyncio.create_task(self.run_case(case, gate, prep, err, cpu, once(sem.release)))
                    self.in_flight.add(task)
                    task.add_done_callback(self.in_flight.discard)
            while self.in_flight:
                await asyncio.gather(*list(self.in_flight))
            if self.model_pause.gave_up and not self.gave_up:
                self.gave_up = f"{self.model_pause.what} did not answer for {self.model_pause._away()} " \
                               f"({self.model_pause.reason})"
            if self.drawn is not None:  # a section that failed is drawn again by the report, which reports it
                await asyncio.gather(asyncio.wrap_future(self.drawn), return_exceptions=True)
        except BaseException:
            for t in list(self.in_flight):
                t.cancel()
            if self.in_flight:
                await asyncio.gather(*list(self.in_flight), return_exceptions=True)
            if pending is not None:
                pending.cancel()
            raise
        finally:
            for pause in (self.store_pause, self.model_pause):
                pause.close()
            self.progress.note(None)
            cpu.close()


def _check_engine(model: str, opts) -> None:
    """An unknown model, a missing API key or a refused --api-base fails here, once, instead of once per
    case after the embedding."""
    from ..turn import check_engine

    try:
        check_engine(model, opts)
    except CoachError as e:
        raise UsageError(str(e)) from None


async def _main(runner: Runner, todo) -> None:
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()

    def on_sigterm() -> None:
        runner.signal = "SIGTERM"
        if task is not None:
            task.cancel()

    try:
        loop.add_signal_handler(signal.SIGTERM, on_sigterm)
    except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or not POSIX
        pass

    async def tick() -> None:  # redraw (terminal) or print a line (otherwise) even while nothing finishes
        while True:
            await asyncio.sleep(runner.progress.interval)
            runner.progress.show()

    ticker = asyncio.create_task(tick())
    try:
        await runner.run(todo)
    finally:
        ticker.cancel()
        try:
            loop.remove_signal_handler(signal.SIGTERM)
        except (NotImplementedError, RuntimeError, ValueError):
            pass


def run_batch(
    source: str | Path | Sequence[dict],
    out_dir: str | Path,
    model: str | None = None,
    opts=None,
    *,
    k: int | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    pii_mode: str = "hold",
    retry_errors: bool = False,
    fmt: str = "auto",
    store=None,
    chunk: int = CHUNK,
    progress: bool | None = None,
    report: bool = True,
    log: Log = stderr_log,
) -> BatchCounts:
    """Run every case of ``source`` (a JSONL/CSV path, '-' for stdin, or a list of dicts) into ``out_dir``.

    Returns the counts; ``counts.exit_code`` is 0 when every case of the input is ok, else 1.
    Raises ``UsageError`` (exit 2) for what makes the run impossible, ``BatchInterrupted`` on Ctrl-C
    or SIGTERM, ``BatchGaveUp`` when the store or the model stopped answering for longer than
    ``outage.GIVE_UP_AFTER_S`` (both after saving everything finished and writing the report).
    """
    from .. import config
    from ..engines import EngineOptions

    t0 = time.perf_counter()
    model = model or config.default_model()
    opts = opts or EngineOptions()
    k = k or config.DEFAULT_K
    if pii_mode not in PII_MODES:
        raise UsageError(f"pii_mode must be one of {', '.join(PII_MODES)}")
    if not 1 <= int(concurrency) <= MAX_CONCURRENCY:
        raise UsageError(f"--concurrency must be between 1 and {MAX_CONCURRENCY}")
    config.check_k(int(k))
    if out_dir is None or str(out_dir) == "":
        raise UsageError("give an output folder with --out DIR")
    out = Path(out_dir)
    _check_engine(model, opts)
    parsed = read_input(source, fmt, log) if isinstance(source, (str, Path)) else cases_from_records(source, log)
    if parsed.total == 0:
        raise UsageError(f"{parsed.name} has no cases: one JSON object per line, or a CSV with id,scenario columns")

    results = ResultsFile(out, log)
    latest = results.open()
    bar = Progress(parsed.total, enabled=progress is not False)
    sections = None
    if report:
        from ..reports.batch import Sections

        sections = Sections(allow_pii=pii_mode == "allow")
    runner = Runner(parsed, results, latest, model, opts, k, int(concurrency), pii_mode, retry_errors, store,
                    max(1, int(chunk)), bar, log, sections)
    interrupted: str | None = None
    try:
        todo = runner.plan()
        c = runner.counts
        bar.total = parsed.total - c.already_ok - c.earlier_errors
        if progress is not False:
            log(f"coach batch: {plural(parsed.total, 'case')} in {parsed.name}: {c.already_ok} already ok, "
                f"{len(todo)} to send to {model}" + (f" (concurrency {concurrency})" if len(todo) > 1 else ""))
        bar.start("retrieving passages; the first cases also load the models" if todo else "")
        try:
            asyncio.run(_main(runner, todo))
        except KeyboardInterrupt:
            interrupted = "Ctrl-C"
        except asyncio.CancelledError:
            interrupted = runner.signal or "cancellation"
        bar.finish()
        runner.tally()
        c.elapsed_s = round(time.perf_counter() - t0, 3)
        c.interrupted = interrupted
        c.gave_up = runner.gave_up
        c.results_path = str(results.path)
        if report:
            c.report_path = str(write_report(out, parsed, latest, model, allow_pii=pii_mode == "allow",
                                                 sections=sections))
            c.report_pii = "as written" if pii_mode == "allow" else "placeholders"
    finally:
        bar.close()
        results.close()
    if runner.gave_up and not interrupted:
        raise BatchGaveUp(
            f"gave up: {runner.gave_up}; the {plural(c.ok, 'case')} answered so far {'is' if c.ok == 1 else 'are'} "
            f"saved in {results.path}; run the same command again with --retry-errors to resume", c)
    if interrupted:
        code = 143 if interrupted == "SIGTERM" else 130
        raise BatchInterrupted(
            f"stopped by {interrupted}: {plural(c.ran, 'case')} finished in this run and {'is' if c.ran == 1 else 'are'} "
            f"saved in {results.path}; "
            "run the same command again to resume", code, c)
    return c
