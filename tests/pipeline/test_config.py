import pytest

from molgen.pipeline.cache import StageCache, stage_key
from molgen.pipeline.config import default_config_text, load_run_config
from molgen.scoring import ConfigError


def test_default_config_validates():
    config = load_run_config()
    assert config.data.dataset == "chembl2321810"
    assert config.generate.method in ("rl", "ga")
    assert any(o["kind"] == "model" for o in config.scorer["objectives"])


def test_partial_config_takes_defaults(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text('[generate]\nbudget = 300\n[data]\nfile = "x.csv"\ntarget_col = "pIC50"\n')
    config = load_run_config(path)
    assert config.generate.budget == 300 and config.generate.method == "rl"
    assert config.data.file == "x.csv" and config.data.dataset is None
    assert config.model == load_run_config().model
    path.write_text("[model]\nforest = true\n")
    assert load_run_config(path).model.forest is True


@pytest.mark.parametrize(
    "text, where",
    [
        ("[generate]\nbudgett = 3\n", "generate.budgett"),
        ("[genrate]\nbudget = 3\n", "genrate"),
        ('[generate]\nbudget = "many"\n', "generate.budget"),
        ("[generate]\nbudget = 0\n", "generate.budget"),
        ('[generate]\nmethod = "vae"\n', "generate.method"),
        ("[model]\ncoverage = 1.5\n", "model.coverage"),
        ("[model]\nforest = 1\n", "model.forest"),
        ("[model]\nensemble_size = true\n", "model.ensemble_size"),
        ('[data]\nfile = "x.csv"\n', "data.target_col"),
        ('[[scorer.objectives]]\nname = "q"\nkind = "qed"\n', "scorer.objectives"),
        ('[[scorer.objectives]]\nname = "e"\nkind = "model"\nmodel = "other.pt"\ntransform = "identity"\n', "scorer.objectives.e.model"),
    ],
)
def test_bad_configs_name_the_key(tmp_path, text, where):
    path = tmp_path / "run.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_run_config(path)
    assert str(path) in str(info.value) and where in str(info.value)


def test_not_toml(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text("[run\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_run_config(path)


def test_default_text_is_the_default():
    assert "[scorer]" in default_config_text()


def test_cache_reuses_and_invalidates(tmp_path):
    calls = []

    def stage(folder):
        calls.append(folder)
        (folder / "out.txt").write_text("x")
        return {"n": len(calls)}

    cache = StageCache(tmp_path)
    first = cache.run("a", {"p": 1}, (), stage)
    again = cache.run("a", {"p": 1}, (), stage)
    assert not first.reused and again.reused and again.path == first.path and len(calls) == 1
    assert (again.path / "out.txt").read_text() == "x" and again.info == {"n": 1}
    changed = cache.run("a", {"p": 2}, (), stage)
    assert not changed.reused and changed.path != first.path
    assert stage_key("b", {}, (first.key,)) != stage_key("b", {}, (changed.key,))


def test_cache_leaves_nothing_when_a_stage_fails(tmp_path):
    def broken(folder):
        (folder / "half.txt").write_text("x")
        raise RuntimeError("boom")

    cache = StageCache(tmp_path)
    with pytest.raises(RuntimeError):
        cache.run("a", {}, (), broken)
    assert not list(tmp_path.iterdir())
    assert cache.run("a", {}, (), lambda folder: {}).reused is False
