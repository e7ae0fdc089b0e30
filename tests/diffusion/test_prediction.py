import pytest
import torch

from engine.diffusion import ClassGuidance, ConstantSolver, Denoiser, NoiseSchedule, ScheduleConfig, training_target
from engine.models import SolverSettings


@pytest.mark.parametrize("prediction", ["eps", "v"])
def test_a_perfect_network_output_recovers_x0_and_noise(prediction):
    """If the network outputs exactly its training target, the Denoiser must return the true
    clean image and noise, for both parametrisations and at low and high noise."""
    schedule = NoiseSchedule(ScheduleConfig(kind="sigmoid"))
    generator = torch.Generator().manual_seed(0)
    x0 = torch.rand((4, 3, 8, 8), generator=generator) * 2 - 1
    noise = torch.randn(x0.shape, generator=generator)
    for t in (3, 500, 990):
        abar = schedule.abar(t).float()
        x_t = schedule.add_noise(x0, noise, torch.full((4,), t))
        target = training_target(prediction, x0, noise, abar)
        denoiser = Denoiser(lambda x, steps: target, schedule, prediction, clip_x0=False)
        eps, predicted_x0 = denoiser(x_t, t)
        assert torch.allclose(predicted_x0, x0, atol=2e-3)
        assert torch.allclose(eps, noise, atol=2e-3)


def test_a_noise_map_network_is_told_the_level_of_x_t_shaped_by_the_photo():
    schedule = NoiseSchedule(ScheduleConfig(kind="cosine"))
    seen = []

    def network(x, steps, noise_map):
        seen.append(noise_map)
        return torch.zeros_like(x)

    x_t = torch.zeros(2, 3, 4, 4)
    Denoiser(network, schedule, "eps", takes_noise_map=True)(x_t, 100)
    level = (1 - schedule.abar(100).item()) ** 0.5
    assert torch.allclose(seen[-1].expand_as(x_t), torch.full_like(x_t, level))
    shape = torch.rand(2, 3, 4, 4) + 0.5
    Denoiser(network, schedule, "eps", takes_noise_map=True, noise_shape=shape)(x_t, 100)
    assert torch.allclose(seen[-1], shape * level)


def test_each_network_call_gets_the_solver_the_schedule_gives_its_step():
    """The seam for per-step solvers: cheap while x_t is mostly noise, finer near the end."""
    coarse, fine = SolverSettings("euler", 1), SolverSettings("rk4", 2)
    seen = []

    def network(x, steps, *, solver):
        seen.append(solver)
        return torch.zeros_like(x)

    schedule = NoiseSchedule(ScheduleConfig(kind="cosine"))
    by_step = Denoiser(network, schedule, "eps", solver=lambda t: coarse if t > 500 else fine)
    for t in (900, 600, 100):
        by_step(torch.zeros(1, 1, 4, 4), t)
    Denoiser(network, schedule, "eps", solver=ConstantSolver(fine))(torch.zeros(1, 1, 4, 4), 900)
    assert seen == [coarse, coarse, fine, fine]


def test_without_a_schedule_the_network_is_given_no_solver():
    """So a network without ODE blocks (the U-Net) is called as before, and a cUNet runs its own."""
    schedule = NoiseSchedule(ScheduleConfig(kind="cosine"))
    eps, _ = Denoiser(lambda x, steps: torch.zeros_like(x), schedule, "eps")(torch.zeros(1, 1, 4, 4), 100)
    assert not eps.any()


class LabelledNetwork:
    """Output = x_t * 0.5 + (label + 1) * 0.1 per row, a different constant for each label; records
    every call's batch size, labels and noise map."""

    def __init__(self) -> None:
        self.calls = []

    def __call__(self, x, steps, noise_map=None, *, class_labels=None):
        labels = torch.full((len(x),), 3) if class_labels is None else class_labels
        self.calls.append({"rows": len(x), "labels": labels.tolist(), "noise_map": noise_map})
        return x * 0.5 + (labels.float() + 1)[:, None, None, None] * 0.1


def guided(network, scale, prediction="eps", clip_x0=False, **options):
    """Both images of X_T guided toward class 1 at `scale`, or each at its own with a pair."""
    scales = scale if isinstance(scale, tuple) else (scale, scale)
    guidance = ClassGuidance(class_labels=(1, 1), null_label=3, scales=scales)
    return Denoiser(network, NoiseSchedule(ScheduleConfig(kind="cosine")), prediction, clip_x0=clip_x0,
                    guidance=guidance, **options)


def unguided_with_label(label, prediction="eps"):
    """What the denoiser gives when the network is always told `label`, without guidance."""
    network = LabelledNetwork()
    fixed = lambda x, steps: network(x, steps, class_labels=torch.full((len(x),), label))  # noqa: E731
    return Denoiser(fixed, NoiseSchedule(ScheduleConfig(kind="cosine")), prediction, clip_x0=False)


X_T = torch.randn(2, 1, 4, 4, generator=torch.Generator().manual_seed(0))


def test_guidance_zero_is_the_unconditional_output_and_one_the_conditional_one_each_in_one_b_row_call():
    for scale, label in ((0.0, 3), (1.0, 1)):
        network = LabelledNetwork()
        eps, x0 = guided(network, scale)(X_T, 400)
        expected_eps, expected_x0 = unguided_with_label(label)(X_T, 400)
        assert torch.equal(eps, expected_eps) and torch.equal(x0, expected_x0)
        assert [call["rows"] for call in network.calls] == [2] and network.calls[0]["labels"] == [label, label]


@pytest.mark.parametrize("prediction", ["eps", "v"])
def test_guidance_runs_both_halves_in_one_call_and_guides_eps_and_x0_alike(prediction):
    network = LabelledNetwork()
    eps, x0 = guided(network, 3.0, prediction)(X_T, 400)
    assert len(network.calls) == 1
    assert network.calls[0]["rows"] == 4 and network.calls[0]["labels"] == [1, 1, 3, 3]
    eps_c, x0_c = unguided_with_label(1, prediction)(X_T, 400)
    eps_u, x0_u = unguided_with_label(3, prediction)(X_T, 400)
    assert torch.allclose(eps, eps_u + 3 * (eps_c - eps_u), atol=1e-5)
    assert torch.allclose(x0, x0_u + 3 * (x0_c - x0_u), atol=1e-5)


def test_each_image_is_guided_at_its_own_scale_in_the_same_one_call():
    """A random class per image guides each image at its class's scale: image i of a mixed batch
    is exactly what guiding the batch at image i's scale gives it."""
    network = LabelledNetwork()
    eps, x0 = guided(network, (1.0, 3.0))(X_T, 400)
    assert [call["labels"] for call in network.calls] == [[1, 1, 3, 3]]  # one scale of 1: the null rows still run
    for row, scale in enumerate((1.0, 3.0)):
        eps_alone, x0_alone = guided(LabelledNetwork(), scale)(X_T, 400)
        assert torch.allclose(eps[row], eps_alone[row], atol=1e-6) and torch.allclose(x0[row], x0_alone[row], atol=1e-6)


def test_a_guidance_needs_one_scale_per_image():
    with pytest.raises(ValueError, match="2 scales for 3 class labels"):
        ClassGuidance(class_labels=(1, 1, 2), null_label=3, scales=(1.0, 2.0))


def test_clipping_acts_on_the_guided_clean_image():
    network = LabelledNetwork()
    eps, x0 = guided(network, 8.0, clip_x0=True)(X_T, 900)
    _, unclipped = guided(LabelledNetwork(), 8.0)(X_T, 900)
    assert unclipped.abs().max() > 1  # a large scale pushes the guided image out of range
    assert torch.equal(x0, unclipped.clamp(-1, 1))
    abar = NoiseSchedule(ScheduleConfig(kind="cosine")).abar(900).item()
    assert torch.allclose(eps, (X_T - abar**0.5 * x0) / (1 - abar) ** 0.5)


def test_both_halves_of_a_guided_call_get_the_noise_map_of_x_t():
    network = LabelledNetwork()
    shape = torch.rand(2, 1, 4, 4) + 0.5
    guided(network, 2.0, takes_noise_map=True, noise_shape=shape)(X_T, 100)
    level = (1 - NoiseSchedule(ScheduleConfig(kind="cosine")).abar(100).item()) ** 0.5
    noise_map = network.calls[0]["noise_map"]
    assert torch.allclose(noise_map, torch.cat([shape * level, shape * level]))
