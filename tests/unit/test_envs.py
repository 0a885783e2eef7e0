"""Environment definitions, conda mapping, override quoting, hashing (no builds)."""

from __future__ import annotations

import sys

import pytest

from harness.commands.runs_rerun import hydra_literal
from harness.envs import registry
from harness.envs.build import one_paragraph
from harness.envs.conda import conda_to_pip
from harness.envs.errors import EnvironmentSpecError
from harness.envs.overrides import quote_environment_overrides
from harness.envs.python import find_interpreter, matches
from harness.envs.resolve import resolve
from harness.envs.spec import Definition, from_mapping, parse_reference


@pytest.mark.parametrize(
    ("conda", "pip"),
    [
        ("scikit-learn", "scikit-learn"),
        ("pytorch", "torch"),
        ("conda-forge::py-xgboost>=1.7", "xgboost>=1.7"),
        ("numpy=1.26", "numpy==1.26.*"),
        ("numpy=1.26.4=py311h0", "numpy==1.26.4.*"),
        ("numpy 1.26", "numpy==1.26.*"),
        ("pip", None),
        ("python=3.11", None),
    ],
)
def test_conda_names_map_through_the_table(conda, pip):
    assert conda_to_pip(conda) == pip


def test_a_conda_only_package_is_refused_naming_it():
    with pytest.raises(EnvironmentSpecError, match="conda package 'cudatoolkit' has no PyPI"):
        conda_to_pip("cudatoolkit=11.8")


def test_the_hash_depends_on_content_not_order_or_name():
    a = resolve(from_mapping({"name": "a", "pip_packages": ["tabulate==0.9.0", "six"]}))
    b = resolve(from_mapping({"pip_packages": ["six", "tabulate==0.9.0"]}))
    c = resolve(from_mapping({"pip_packages": ["six", "tabulate==0.8.10"]}))
    d = resolve(from_mapping({"pip_packages": ["six"], "conda_packages": ["tabulate==0.9.0"]}))
    assert a.hash == b.hash == d.hash != c.hash
    assert a.interpreter.version == ".".join(map(str, sys.version_info[:3]))


def test_the_default_python_is_the_harness_own_without_a_subprocess(monkeypatch):
    import subprocess

    def refuse(*args, **kwargs):
        raise AssertionError("no process should start for the default interpreter")

    monkeypatch.setattr(subprocess, "run", refuse)
    minor = ".".join(map(str, sys.version_info[:2]))
    assert find_interpreter(None).version == find_interpreter(minor).version


def test_version_matching():
    assert matches("3.11.7", "3.11") and matches("3.11.7", "3") and matches("3.11.7", "3.11.7")
    assert not matches("3.11.7", "3.1") and not matches("3.11.7", "3.11.6")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"pip_packages": "tabulate"}, None),
        ({"pip_packages": [True]}, "must be a list of strings"),
        ({"python": 3.1}, "quote the version"),
        ({"version": 0}, "positive integer"),
        ({"name": "../x"}, "is invalid"),
        ({"pip_packages": ["-e ."]}, "pip options"),
        ({"build_constraints": ["setuptools<<81"]}, "not a valid requirement"),
        ("tabulate", "must be a name"),
    ],
)
def test_mapping_checks(data, message):
    if message is None:
        assert from_mapping(data).pip_packages == ["tabulate"]
    else:
        with pytest.raises(EnvironmentSpecError, match=message):
            from_mapping(data)


def test_references_and_curated_names(tmp_path):
    assert parse_reference("tab:3") == ("tab", 3)
    assert parse_reference("harness-chainer") == ("harness-chainer", None)
    with pytest.raises(EnvironmentSpecError):
        parse_reference("tab:x")
    chainer = registry.get(tmp_path, "AzureML-Chainer-5.1.0-CPU")
    assert chainer.name == "harness-chainer" and "numpy<2" in chainer.pip_packages
    # Every v1 name maps onto a shipped curated environment.
    assert set(registry.V1_NAMES.values()) <= set(registry.curated_names())
    assert registry.get(tmp_path, "AzureML-PyTorch-1.3-CPU").name == "harness-pytorch"


def test_registering_versions(tmp_path):
    first, new = registry.register(tmp_path, Definition(name="t", pip_packages=["six"]))
    assert (first.version, new) == (1, True)
    same, new = registry.register(tmp_path, Definition(name="t", pip_packages=["six"]))
    assert (same.version, new) == (1, False)
    second, _ = registry.register(tmp_path, Definition(name="t", pip_packages=["six==1.16.0"]))
    assert second.version == 2 and registry.versions(tmp_path, "t") == [1, 2]
    assert registry.get(tmp_path, "t").pip_packages == ["six==1.16.0"]
    assert registry.get(tmp_path, "t:1").pip_packages == ["six"]
    assert registry.delete(tmp_path, "t:1") == [1]
    third, _ = registry.register(tmp_path, Definition(name="t", pip_packages=["six"]))
    assert third.version == 3  # numbers are not reused
    with pytest.raises(EnvironmentSpecError, match="curated"):
        registry.register(tmp_path, Definition(name="harness-sklearn", pip_packages=["six"]))


def test_environment_overrides_are_quoted_for_hydra():
    assert quote_environment_overrides(
        [
            "+estimator.environment.pip_packages=[tabulate==0.9.0,numpy<2,'six']",
            "estimator.environment.pip_packages=requests[socks]>=2",
            "+estimator.environment.python=3.10",
            "estimator.environment=tab:1",
            "estimator.environment=a,b",
            "estimator.environment={pip_packages:[x]}",
            "lr=0.1",
        ]
    ) == [
        "+estimator.environment.pip_packages=['tabulate==0.9.0','numpy<2','six']",
        "estimator.environment.pip_packages='requests[socks]>=2'",
        "+estimator.environment.python='3.10'",
        "estimator.environment='tab:1'",
        "estimator.environment=a,b",
        "estimator.environment={pip_packages:[x]}",
        "lr=0.1",
    ]


def test_hydra_literal_round_trips_through_hydra():
    from hydra.core.override_parser.overrides_parser import OverridesParser

    value = {"name": "t", "version": 1, "python": "3.11.7", "pip_packages": ["numpy<2", "a'b"]}
    parsed = OverridesParser.create().parse_override(f"++x={hydra_literal(value)}")
    assert parsed.value() == value


def test_uv_errors_become_one_paragraph():
    text = (
        "  × No solution found when resolving dependencies:\n"
        "  ╰─▶ Because zz was not found in the package registry and you require zz==1,\n"
        "      we can conclude that your requirements are unsatisfiable.\n"
    )
    assert one_paragraph(text) == (
        "environment build failed: No solution found when resolving dependencies: Because zz "
        "was not found in the package registry and you require zz==1, we can conclude that "
        "your requirements are unsatisfiable."
    )
    assert one_paragraph("error: No solution found\n  cause: Because x\n") == (
        "environment build failed: No solution found: Because x"
    )


# -- reuse: requirements the harness's own packages already meet ------------------
def _dist(folder, name, version, *requires):
    info = folder / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    lines += [f"Requires-Dist: {r}" for r in requires]
    (info / "METADATA").write_text("\n".join(lines) + "\n")


def test_reuse_splits_what_the_harness_meets_from_what_to_install(tmp_path):
    from harness.envs import reuse

    harness_site = tmp_path / "harness-site"
    _dist(harness_site, "scikit-learn", "1.9.1", "numpy>=1.22", "scipy>=1.8")
    _dist(harness_site, "numpy", "2.4.6")
    _dist(harness_site, "scipy", "1.17.1", "numpy>=1.25")
    reused, to_install = reuse.split(
        [
            "scikit-learn>=1.3",
            "numpy<2",
            "tabulate==0.9.0",
            "scipy==1.0",
            "scipy; python_version<'3'",
        ],
        [str(harness_site)],
    )
    assert reused == ["scikit-learn>=1.3"]
    assert to_install == ["numpy<2", "tabulate==0.9.0", "scipy==1.0", "scipy; python_version<'3'"]


def test_reuse_is_refused_when_the_environment_breaks_a_reused_dependency(tmp_path):
    from harness.envs import reuse

    harness_site, env_site = tmp_path / "harness-site", tmp_path / "env-site"
    _dist(harness_site, "scikit-learn", "1.9.1", "numpy>=1.22", "missing-cuda; extra == 'gpu'")
    _dist(harness_site, "numpy", "2.4.6")
    env_site.mkdir()
    fine = reuse.unmet_after_install(["scikit-learn"], env_site, [str(harness_site)])
    assert fine.unmet == [] and fine.from_harness == ["numpy==2.4.6", "scikit-learn==1.9.1"]

    _dist(env_site, "numpy", "1.19.0")  # installed by another requirement, in front
    broken = reuse.unmet_after_install(["scikit-learn"], env_site, [str(harness_site)])
    assert broken.unmet == ["numpy>=1.22 (found 1.19.0)"]


def test_reuse_tolerates_gaps_the_harness_has_itself(tmp_path):
    """torch from a CPU wheel declares CUDA packages that are not installed: the
    harness runs without them, so the environment may too."""
    from harness.envs import reuse

    harness_site, env_site = tmp_path / "harness-site", tmp_path / "env-site"
    _dist(harness_site, "torch", "2.14.1", "nvidia-cublas==13.1; platform_system == 'Linux'",
          "setuptools>=77")  # fmt: skip
    _dist(harness_site, "setuptools", "65.5.0")
    env_site.mkdir()
    closure = reuse.unmet_after_install(["torch==2.14.1"], env_site, [str(harness_site)])
    assert closure.unmet == []
    assert "setuptools>=77 (found 65.5.0)" in closure.as_in_harness
    if sys.platform == "linux":
        assert "nvidia-cublas==13.1 (not installed)" in closure.as_in_harness
    assert closure.from_harness == ["torch==2.14.1"]


# -- the Python-version policy (harness/envs/python.py) ----------------------------
def _interpreters(*versions: str):
    from harness.envs.python import Interpreter

    return [Interpreter(f"/py/{v}/bin/python", v) for v in versions]


def test_the_nearest_usable_python_is_the_fewest_minors_away():
    from harness.envs.python import nearest

    v310, v3112, v3117, v312, v313 = _interpreters(
        "3.10.13", "3.11.2", "3.11.7", "3.12.1", "3.13.0"
    )
    every = [v310, v3112, v3117, v312, v313]
    assert nearest("3.8.12", every, own=v3117) == v310
    assert nearest("3.8.12", [v3112, v3117], own=v3117) == v3117  # same minor: the harness's own
    assert nearest("3.8.12", [v3112, v3117], own=v310) == v3117  # else the newest patch
    assert nearest("3.11.5", every, own=v3112) == v3112
    assert nearest("3.14", every, own=v3117) == v313
    assert nearest("3.12.9", [v3117, v313], own=v3117) == v313  # a tie: the newer minor


def test_a_python_that_cannot_be_had_is_the_nearest_with_a_note_or_refused(monkeypatch):
    from harness.envs import python

    own = python.own_interpreter()
    others = _interpreters("3.6.15", "3.8.18")  # installed, but too old for the worker
    monkeypatch.setattr(python, "installed_interpreters", lambda: others)
    monkeypatch.delenv("UV_PYTHON_DOWNLOADS", raising=False)
    chosen = python.choose("3.8.12")
    assert chosen.interpreter == own
    assert chosen.note is not None and "\n" not in chosen.note
    assert chosen.note.startswith("python 3.8.12 cannot run the harness's worker (it needs Python")
    assert f"using {own.version}, the nearest" in chosen.note
    missing = python.choose("3.99")  # a version nobody has
    assert missing.interpreter == own and "3.99 is not installed here" in missing.note
    assert "UV_PYTHON_DOWNLOADS=never" in missing.note
    for request in ("3.8.12", "3.99"):
        with pytest.raises(EnvironmentSpecError, match="strict_python is set"):
            python.choose(request, strict=True)
    assert python.choose(own.version).note is None


def test_strict_python_is_a_checked_flag_kept_out_of_the_default_content():
    assert "strict_python" not in from_mapping({"python": "3.8"}).content()
    assert from_mapping({"python": "3.8", "strict_python": True}).content()["strict_python"]
    with pytest.raises(EnvironmentSpecError, match="strict_python must be true or false"):
        from_mapping({"strict_python": "yes"})


@pytest.mark.parametrize(
    ("name", "target"),
    [
        ("AzureML-Tutorial", "harness-sklearn"),
        ("azureml-tutorial", "harness-sklearn"),
        ("azureml-sklearn-1.5", "harness-sklearn"),
        ("AzureML-Scikit-learn0.24-Cuda11-OpenMpi4.1.0-py36", "harness-sklearn"),
        ("AZUREML-PYTORCH-1.3-CPU", "harness-pytorch"),
        ("AzureML-pytorch-1.10-ubuntu18.04-py38-cuda11-gpu", "harness-pytorch"),
        ("azureml-chainer-5.1.0-gpu", "harness-chainer"),
        ("AzureML-Minimal", "harness-minimal"),
        ("AzureML-TensorFlow-2.0-CPU", None),
    ],
)
def test_v1_curated_names_match_in_any_case(name, target):
    assert registry.v1_target(name) == target
    found = registry.curated(name)
    assert (found.name if found else None) == target
    assert registry.is_reserved(name)  # no workspace environment may take a v1 name
    assert not registry.is_reserved("my-azureml-env") and registry.v1_target("sklearn") is None


def test_the_azureml_sdk_packages_are_listed_but_never_required():
    definition = from_mapping(
        {
            "pip_packages": ["azureml-defaults", "AzureML_Core>=1", "tabulate", "azureml2x"],
            "conda_packages": ["conda-forge::azureml-sdk", "six"],
        }
    )
    assert definition.requirements() == ["tabulate", "azureml2x", "six"]
    assert definition.azureml_packages() == [
        "azureml-defaults", "AzureML_Core>=1", "conda-forge::azureml-sdk"]  # fmt: skip


def test_chainer_gets_the_setuptools_its_build_and_import_need():
    from harness.envs.resolve import implied_needs

    assert implied_needs(["chainer", "numpy<2"], []) == (
        ["chainer", "numpy<2", "setuptools<74"], ["setuptools<81"])  # fmt: skip
    pinned = (["chainer==7.8.1", "setuptools<74"], ["setuptools<80"])
    assert implied_needs(*pinned) == pinned  # the definition's own pins win
    assert implied_needs(["tabulate"], []) == (["tabulate"], [])


# -- the framework version a v1 curated name names (harness/envs/v1_versions.py) --
@pytest.mark.parametrize(
    ("name", "named"),
    [
        ("azureml-sklearn-1.5", ("scikit-learn", "1.5")),
        ("AzureML-Scikit-learn-0.20.3", ("scikit-learn", "0.20.3")),
        ("AzureML-Scikit-learn0.24-Cuda11-OpenMpi4.1.0-py36", ("scikit-learn", "0.24")),
        ("AzureML-pytorch-1.10-ubuntu18.04-py38-cuda11-gpu", ("torch", "1.10")),
        ("AzureML-Tutorial", None),
        ("AzureML-Chainer-5.1.0-CPU", None),
        ("harness-sklearn", None),
    ],
)
def test_the_framework_version_a_v1_name_names(name, named):
    from harness.envs.v1_versions import named_version

    assert named_version(name) == named


def test_a_v1_name_pins_its_version_only_when_a_wheel_exists(monkeypatch, capsys):
    from harness.envs import v1_versions

    asked = []

    def has_wheel(line: str, python: str) -> bool:
        asked.append((line, python))
        return line.startswith("torch==2.2")

    monkeypatch.setattr(v1_versions, "has_wheel", has_wheel)
    v1_versions._warn_once.cache_clear()  # an earlier test in this process may have warned
    curated = ["torch==2.14.1", "torchvision==0.29.1"]
    pinned = v1_versions.pin("AzureML-pytorch-2.2-cuda11.8", curated, python="3.11")
    assert pinned == ["torch==2.2.*", "torchvision"]  # torchvision left to match torch
    assert capsys.readouterr().err == ""
    kept = v1_versions.pin("AzureML-PyTorch-1.6-CPU", curated, python="3.11")
    assert kept == curated
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "harness: warning: AzureML-PyTorch-1.6-CPU names torch 1.6, which has no wheel for "
        "Python 3.11 here: using torch==2.14.1"
    ]
    assert asked == [("torch==2.2.*", "3.11"), ("torch==1.6.*", "3.11")]
    sklearn = ["scikit-learn>=1.3", "joblib>=1.3"]
    monkeypatch.setattr(v1_versions, "has_wheel", lambda line, python: True)
    assert registry.curated("azureml-sklearn-1.5").pip_packages == [
        "scikit-learn==1.5.*",
        "joblib>=1.3",
    ]
    assert registry.curated("AzureML-Tutorial").pip_packages == sklearn
    assert registry.curated("harness-sklearn").pip_packages == sklearn
