import torch

from priorgraph.models import runtime


def test_device_follows_cuda_unless_named(monkeypatch):
    monkeypatch.setattr(runtime.torch.cuda, "is_available", lambda: True)
    assert runtime.device() == torch.device("cuda")
    monkeypatch.setattr(runtime.torch.cuda, "is_available", lambda: False)
    assert runtime.device() == torch.device("cpu")
    assert runtime.device("cuda:1") == torch.device("cuda", 1)


def test_seeds_threads_and_determinism_are_given_back():
    runtime.seed_everything(3)
    first = torch.rand(2)
    runtime.seed_everything(3)
    assert torch.equal(first, torch.rand(2))
    before = torch.get_num_threads()
    with runtime.torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    assert not torch.are_deterministic_algorithms_enabled()
    with runtime.deterministic(0):
        assert torch.are_deterministic_algorithms_enabled()
    assert not torch.are_deterministic_algorithms_enabled()


def test_evaluating_gives_the_model_back_in_its_mode():
    model = torch.nn.Dropout(0.5)
    with runtime.evaluating(model):
        assert not model.training
    assert model.training
    model.eval()
    with runtime.evaluating(model):
        pass
    assert not model.training
