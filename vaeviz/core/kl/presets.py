"""The KL dock's presets as data: a lab state, how many fit steps to show and a named follow-up.

No Qt and no torch: ``vaeviz export --list`` reads the names without building the dock.
:mod:`vaeviz.ui.kl.presets` turns each into a :class:`~vaeviz.ui.docks.base.Preset` that applies the
state through the lab's ``apply_state``, fits it for ``steps`` steps and then runs the follow-up.
"""

from __future__ import annotations

from dataclasses import dataclass

from vaeviz.core.kl.state import FitSettings, KLLabState, TargetChoice, VIChoice

FOLLOW_UPS = ("several-starts",)


@dataclass(frozen=True)
class KLPreset:
    """One preset: ``state`` to apply, the fit step to show and an optional follow-up ("several-starts":
    reverse fits from random starts, drawn over the reverse plot, after the main fit)."""

    name: str
    description: str
    state: KLLabState
    steps: int
    follow_up: str | None = None

    def __post_init__(self) -> None:
        if self.follow_up is not None and self.follow_up not in FOLLOW_UPS:
            raise ValueError(f"unknown follow-up {self.follow_up!r}")
        if not 0 <= self.steps <= self.state.fit.max_steps:
            raise ValueError(f"preset {self.name}: {self.steps} steps but the fit stops at "
                             f"{self.state.fit.max_steps}")


def _identity(d: int) -> tuple[tuple[float, ...], ...]:
    return tuple(tuple(1.0 if i == j else 0.0 for j in range(d)) for i in range(d))


def _fit(family: str = "full", start=(0.5, 1.5), max_steps: int = 400, **kwargs) -> FitSettings:
    # 400 samples a step: the fits converge as well as with 1,000 in the steps shown, at half the time
    return FitSettings(family=family, start_mean=tuple(start), start_cov=_identity(len(start)),
                       samples=400, max_steps=max_steps, **kwargs)


CORRELATED = TargetChoice(kind="gaussian", weights=(1.0,), means=((0.0, 0.0),),
                          covariances=(((2.0, 1.7), (1.7, 2.0)),))
TWO_MODES = TargetChoice()  # the lab's default: N((−2.5, 0), 0.6 I) and N((2.5, 0), 0.6 I), equal weights
THREE_MODES = TargetChoice(kind="mixture", weights=(1.0, 1.0, 1.0),
                           means=((-3.0, -2.0), (3.0, -2.0), (0.0, 3.0)),
                           covariances=(((0.5, 0.0), (0.0, 0.5)),) * 3)
ONE_D = TargetChoice(kind="mixture", weights=(0.35, 0.65), means=((-2.5,), (2.0,)),
                     covariances=(((0.5,),), ((0.8,),)))

KL_PRESETS: tuple[KLPreset, ...] = (
    KLPreset("overview", "KL: one Gaussian q fitted to two modes, KL(p‖q) beside KL(q‖p)",
             KLLabState(target=TWO_MODES, fit=_fit(start=(0.8, 1.5))), steps=300),
    KLPreset("lecture-example-1", "Example 1: a correlated Gaussian p, a diagonal q — reverse KL is "
             "overconfident (1/Λᵢᵢ), forward KL too wide (Σᵢᵢ)",
             KLLabState(target=CORRELATED, fit=_fit("diag", start=(1.5, -1.5))), steps=300),
    KLPreset("lecture-example-2", "Example 2: p a mixture of two Gaussians, q one Gaussian: forward KL "
             "covers both modes, reverse KL picks one",
             KLLabState(target=TWO_MODES, fit=_fit(start=(0.8, 1.5))), steps=300),
    KLPreset("several-starts", "Reverse KL from random starts: local optima on different modes (or "
             "stretched between two); forward KL has one optimum",
             KLLabState(target=THREE_MODES, fit=_fit(start=(0.0, 0.0), max_steps=200, starts=6, lr=0.1)),
             steps=200, follow_up="several-starts"),
    KLPreset("alpha-divergence", "D_α between the two: α = 0.5 sits between mode-seeking (α → 0) and "
             "mass-covering (α → 1)",
             KLLabState(target=TWO_MODES, fit=_fit(start=(0.8, 1.5), alpha=0.5), show_alpha=True),
             steps=300),
    KLPreset("kl-asymmetry", "1-D: the forward fit's KL(q‖p) and the reverse fit's KL(p‖q) differ — KL "
             "is not symmetric",
             KLLabState(mode="1d", target=ONE_D, fit=_fit(start=(0.0,))), steps=300),
    KLPreset("elbo-gap", "Variational inference: log p(x) = ELBO + KL(q ‖ p(z|x)); the KL part shrinks "
             "as q improves",
             KLLabState(mode="vi", vi=VIChoice(), fit=_fit(start=(1.0, 0.0), max_steps=300)), steps=300),
)


def preset(name: str) -> KLPreset:
    for p in KL_PRESETS:
        if p.name == name:
            return p
    raise KeyError(f"unknown KL preset {name!r} (known: {', '.join(p.name for p in KL_PRESETS)})")
