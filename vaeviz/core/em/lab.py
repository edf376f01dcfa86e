"""The GMM & EM lab's run model, Qt-free: frames and the jobs that compute them.

The lab shows EM one half-step at a time and k-means beside it in lockstep. Every half-step is a
:class:`Frame`: the EM snapshot, the matching k-means snapshot and what the scatter needs to colour the
points. Frames are produced by job factories (:mod:`vaeviz.core.jobs`) that run in the compute thread,
so the GUI only stores and shows them; the same factories run inline for the export CLI and the tests.

Frames keep no (N, K) responsibility arrays: 400 half-steps of them would cost hundreds of MB at
N = 1e5. They keep a 16-bit colour key per *displayed* point instead (at most :data:`DISPLAY_LIMIT`
points are drawn), which is all the scatter needs; continuing EM from a frame recomputes what it needs
from the frame's parameters.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from vaeviz.core.em.algorithm import CompleteData, EMState, em_fast_steps, em_steps
from vaeviz.core.em.data_checks import data_problem
from vaeviz.core.em.gmm import GaussianMixture
from vaeviz.core.em.initialise import init_from_kmeans, init_kmeanspp, init_random, init_user
from vaeviz.core.em.kmeans import KMeansState, kmeans_steps, kmeanspp_init
from vaeviz.core.em.log_rows import normalise_log_rows
from vaeviz.core.em.state import LabSettings
from vaeviz.core.jobs import JobContext, JobFactory, single

DISPLAY_LIMIT = 20_000  # points drawn; recolouring 2e4 points costs ~50 ms in pyqtgraph
FAST_MIN_N = 50_000  # from here EM runs on the float32 torch path (em_fast)
MAX_ITER = 300  # iterations a "run" computes at most
RUN_TOL = 1e-7  # a run stops when an M-step changes the mean log-likelihood per point by less
SPARE_ITERS = 50  # a run's generators can go this much further, for the next run to resume them


@dataclass(frozen=True, eq=False)
class LabData:
    """One version of the data as EM sees it, plus the subset the scatter draws.

    ``labels`` are the true components when every point has one (a preset sampled them), else None;
    ``shown`` indexes the drawn points (None: all of them). ``display_keys`` maps the drawn points'
    responsibilities (N_shown, K) to what a frame keeps of them for the scatter, one small integer per
    point (the UI's colour keys): frames never keep (N, K) arrays.
    """

    x: np.ndarray
    labels: np.ndarray | None
    shown: np.ndarray | None
    display_keys: Callable[[np.ndarray], np.ndarray]

    @property
    def n(self) -> int:
        return int(self.x.shape[0])

    @property
    def x_shown(self) -> np.ndarray:
        return self.x if self.shown is None else self.x[self.shown]


def display_index(n: int, limit: int = DISPLAY_LIMIT) -> np.ndarray | None:
    """Evenly strided indices of at most ``limit`` of ``n`` points (None: draw them all).

    A stride, not a random choice: O(limit), reproducible, and presets are shuffled already.
    """
    if n <= limit:
        return None
    return np.linspace(0, n - 1, limit).astype(np.intp)


@dataclass(frozen=True, eq=False)
class Frame:
    """One half-step of the lab: EM state (without responsibilities), k-means state, point colours.

    ``keys`` are the colour keys of the displayed points (None before the first E-step: grey),
    ``nk`` the soft counts N_k = Σ_n γ_nk behind the state when known, ``note`` marks frames the user
    made ("edited", "restored").
    """

    em: EMState
    km: KMeansState | None
    keys: np.ndarray | None
    nk: np.ndarray | None = None
    note: str = ""

    @property
    def gmm(self) -> GaussianMixture:
        return self.em.gmm

    @property
    def phase(self) -> str:
        return self.em.phase

    @property
    def next_phase(self) -> str:
        return "M" if self.em.phase == "E" else "E"

    @property
    def terminal(self) -> bool:
        """EM cannot go on from here: a component collapsed (the likelihood is +∞)."""
        return self.em.singular is not None


@dataclass(frozen=True)
class RunProgress:
    """What a run job yields: one new frame, and how far the job is (read by the status bar)."""

    frame: Frame
    fraction: float
    message: str = ""


@dataclass(frozen=True)
class RunEnd:
    """A run job's result: why it stopped ("converged", "singular", "limit", "steps") and how many frames;
    after "steps", ``resume`` lets the next run go on from the last frame (see :func:`run_frames`)."""

    reason: str
    frames: int
    resume: Continuation | None = dataclasses.field(default=None, compare=False, repr=False)


@dataclass(eq=False)
class Continuation:
    """A run's suspended EM and k-means generators, as they were after yielding ``frame``."""

    frame: Frame
    key: tuple  # (data, settings, device, tol, aligned labels) the generators were made for
    em: Iterator[EMState]
    km: Iterator[KMeansState] | None
    offset: int  # added to the generators' iteration numbers
    left: int  # half-steps the EM generator can still yield

    def fits(self, start: Frame, key: tuple, n_half: int) -> bool:
        """Whether this goes on from ``start`` for the run ``key`` describes, for ``n_half`` half-steps."""
        (data, *rest), (mine, *my_rest) = key, self.key
        return self.frame is start and mine is data and my_rest == rest and self.left > n_half


@dataclass(frozen=True)
class Blocked:
    """A job's result when the data cannot support the model; ``message`` explains it to the user."""

    message: str


def initial_mixture(data: LabData, settings: LabSettings, user_means=None) -> GaussianMixture:
    """EM's starting mixture for the settings (``user_means``: where the user placed the means)."""
    x, k, kind, reg = data.x, settings.k, settings.covariance_type, settings.reg_value
    rng = np.random.default_rng(settings.seed)
    if settings.init == "random":
        return init_random(x, k, rng, kind, reg)
    if settings.init == "kmeans":
        seeds = kmeanspp_init(x, k, rng)
        last = deque(kmeans_steps(x, seeds, max_iter=MAX_ITER), maxlen=1)[0]  # converged; keeps one state
        labels = last.labels if last.labels is not None else np.zeros(data.n, dtype=np.intp)
        return init_from_kmeans(x, last.centres, labels, kind, reg)
    if settings.init == "user" and user_means is not None and np.shape(user_means) == (k, x.shape[1]):
        return init_user(x, user_means, kind, reg)
    return init_kmeanspp(x, k, rng, kind, reg)


def true_labels(data: LabData, k: int) -> np.ndarray | None:
    """The data's true classes when they can stand for K components (one to one), else None.

    EM numbers its components arbitrarily; the EM generators match the classes to each snapshot's
    components by their means (:class:`vaeviz.core.em.algorithm.CompleteData`), so ℓ_c compares like
    with like in every frame.
    """
    z = data.labels
    if z is None or z.min() < 0 or z.max() >= k or np.bincount(z, minlength=k).min() == 0:
        return None
    return z


def _colours(data: LabData, state: EMState) -> tuple[np.ndarray, np.ndarray | None]:
    """Colour keys of the displayed points for an E state, and the soft counts when they are cheap."""
    resp = state.responsibilities
    if resp is not None:
        shown = resp if data.shown is None else resp[data.shown]
        return data.display_keys(shown), resp.sum(axis=0)
    return data.display_keys(state.gmm.responsibilities(data.x_shown)), None


def _small_km(data: LabData, km: KMeansState) -> KMeansState:
    """Keep only the displayed points' labels, as bytes (K ≤ 20): a frame must stay small."""
    if km.labels is None:
        return km
    labels = km.labels if data.shown is None else km.labels[data.shown]
    return dataclasses.replace(km, labels=labels.astype(np.uint8))


def _km_continuation(data: LabData, km: KMeansState) -> Iterator[KMeansState]:
    """k-means half-steps after ``km``; repeats the last state once k-means has converged."""
    last = km
    if not km.converged:
        gen = kmeans_steps(data.x, km.centres, max_iter=MAX_ITER)
        next(gen)  # "init": the centres we already have
        if km.phase == "assign":
            next(gen)  # that assignment is the one ``km`` shows
        offset = _offset(km, "assign")
        for state in gen:
            last = dataclasses.replace(state, iteration=state.iteration + offset)
            yield last
    while True:
        yield last


def _offset(state, first_phase: str) -> int:
    """Iteration offset of a continuation generator, which counts from 1 again."""
    return state.iteration - 1 if state.phase == first_phase else state.iteration


def run_frames(data: LabData, settings: LabSettings, start: Frame, n_half: int, device: str = "cpu",
               tol: float | None = RUN_TOL,
               resume: Continuation | None = None) -> Iterator[RunProgress | RunEnd]:
    """Continue EM and k-means from ``start`` for up to ``n_half`` half-steps (generator).

    Yields :class:`RunProgress` per frame and finally returns a :class:`RunEnd`. ``resume`` (the
    ``RunEnd.resume`` of the run that made ``start``) goes on with that run's generators: new ones would
    first recompute the responsibilities under ``start``'s parameters, which an M frame's generator
    already holds (its likelihood needed them): ~40 % of a Step's EM at N = 1e4. A resume made for other
    data, settings or frame is ignored. Each resume must be used once (its generators move on).
    """
    z = true_labels(data, start.gmm.n_components)
    key = (data, settings, device, tol, None if z is None else z.tobytes())
    if resume is not None and resume.fits(start, key, n_half):
        gen, km_gen, offset, left = resume.em, resume.km, resume.offset, resume.left
    else:
        iters = n_half // 2 + 2 + SPARE_ITERS
        common = dict(covariance_type=settings.covariance_type, reg=settings.reg_value, max_iter=iters,
                      z_true=z, tol=tol)
        if data.n >= FAST_MIN_N:
            gen = em_fast_steps(data.x, start.gmm, device=device, **common)
        else:
            gen = em_steps(data.x, start.gmm, **common)
        next(gen)  # "init": the state ``start`` shows already
        left = 2 * iters
        if start.phase == "E":
            next(gen)  # its E-step recomputes the responsibilities ``start`` showed
            left -= 1
        offset = _offset(start.em, "E")
        km_gen = _km_continuation(data, start.km) if start.km is not None else None
    keys, made = start.keys, 0
    for state in gen:
        left -= 1
        state = dataclasses.replace(state, iteration=state.iteration + offset)
        if state.phase == "E":
            keys, nk = _colours(data, state)
        else:  # the M-step's weights are N_k / N
            nk = state.gmm.weights * data.n
        km = None if km_gen is None else _small_km(data, next(km_gen))
        frame = Frame(dataclasses.replace(state, responsibilities=None), km, keys, nk)
        made += 1
        yield RunProgress(frame, made / max(n_half, 1), f"EM half-step {made} of at most {n_half}")
        if state.singular is not None:
            return RunEnd("singular", made)
        if state.converged:
            return RunEnd("converged", made)
        if made >= n_half:
            return RunEnd("steps", made, Continuation(frame, key, gen, km_gen, offset, left))
    return RunEnd("limit", made)


def start_frame(data: LabData, settings: LabSettings, user_means=None) -> Frame | Blocked:
    """The "init" frame for the settings, or :class:`Blocked` when the data cannot support the model."""
    problem = data_problem(data.x, settings.k)
    if problem is not None:
        return Blocked(problem)
    gmm = initial_mixture(data, settings, user_means)
    log_joint = gmm.component_log_prob(data.x)
    ll = float(normalise_log_rows(log_joint)[0].sum())
    km = KMeansState(0, "init", gmm.means, None, None)
    return Frame(EMState(0, "init", gmm, None, ll, ll / data.n), km, None)


def start_job(data: LabData, settings: LabSettings, n_half: int = 0, user_means=None,
              tol: float | None = RUN_TOL) -> JobFactory:
    """Job: compute the init frame (k-means++ or a k-means run on big data takes a while), then run."""

    def factory(ctx: JobContext):
        first = start_frame(data, settings, user_means)
        if isinstance(first, Blocked):
            return first
        yield RunProgress(first, 0.0, "initialised")
        if n_half > 0:
            end = yield from run_frames(data, settings, first, n_half, ctx.device, tol)
            return end
        return RunEnd("steps", 1)

    return factory


def run_job(data: LabData, settings: LabSettings, start: Frame, n_half: int,
            tol: float | None = RUN_TOL, resume: Continuation | None = None) -> JobFactory:
    """Job: continue from ``start`` for up to ``n_half`` half-steps (``resume``: see :func:`run_frames`)."""

    def factory(ctx: JobContext):
        return (yield from run_frames(data, settings, start, n_half, ctx.device, tol, resume))

    return factory


def evaluate(data: LabData, gmm: GaussianMixture, base: Frame | None, note: str = "edited",
             iteration: int | None = None) -> Frame:
    """A frame for parameters the user edited: it acts as an E-step of ``gmm``, so EM's next
    half-step is the M-step from these responsibilities (EM continues from the edit).

    ``base`` is the frame the edit started from (its k-means state is kept); without one (a restored
    session) k-means starts at the mixture's means.
    """
    log_joint = gmm.component_log_prob(data.x)
    log_norm, resp = normalise_log_rows(log_joint)
    ll = float(log_norm.sum())
    z = true_labels(data, gmm.n_components)
    cll = None if z is None else CompleteData(data.x, z, gmm.n_components).value(log_joint, gmm.means)
    if iteration is None:
        iteration = 1 if base is None else base.em.iteration + (0 if base.phase == "E" else 1)
    km = KMeansState(0, "init", gmm.means, None, None) if base is None else base.km
    keys = data.display_keys(resp if data.shown is None else resp[data.shown])
    em = EMState(iteration, "E", gmm, None, ll, ll / data.n, cll)
    return Frame(em, km, keys, resp.sum(axis=0), note)


def evaluate_job(data: LabData, gmm: GaussianMixture, base: Frame | None, note: str = "edited",
                 iteration: int | None = None) -> JobFactory:
    """Latest-wins job for :func:`evaluate` (it costs O(N·K), too much for the GUI thread at large N)."""
    return single(lambda ctx: evaluate(data, gmm, base, note, iteration))
