import pytest
import torch

from engine.diffusion import Denoiser, NoiseSchedule, ScheduleConfig, training_target


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
