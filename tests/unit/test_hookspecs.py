"""The hook contract is documented, in the code and in the author guide."""

from __future__ import annotations

from pathlib import Path

from harness.contract import hookspecs

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"


def test_every_hookspec_has_a_docstring_and_prefix():
    names = hookspecs._hook_names()
    assert len(names) >= 9
    for name in names:
        func = getattr(hookspecs, name)
        assert name.startswith("harness_")
        assert func.__doc__ and len(func.__doc__.strip()) > 40, name
        assert hasattr(func, "harness_spec"), f"{name} is not marked @hookspec"


def test_guide_documents_every_hook_with_its_current_signature():
    guide = GUIDE.read_text()
    for signature in hookspecs.hook_signatures().values():
        assert f"`{signature}`" in guide, f"docs/plugins.md lacks or misstates {signature}"


def _python_blocks(text: str) -> list[str]:
    import re

    return re.findall(r"```python\n(.*?)```", text, re.S)


def test_guide_lists_each_datastore_primitive_with_its_current_signature():
    import inspect

    from harness.contract import Datastore

    guide = GUIDE.read_text()
    primitives = ("file_size", "iter_files", "open_read", "put_file", "read_meta",
                  "write_meta", "meta_lock", "local_path", "remove_stale_temps")  # fmt: skip
    for name in primitives:
        signature = inspect.signature(getattr(Datastore, name))
        shown = signature.replace(parameters=list(signature.parameters.values())[1:])
        text = f"`{name}{shown}`".replace("'", "")
        assert text in guide, f"docs/plugins.md lacks or misstates {text}"


def test_guide_documents_the_whole_public_surface_and_its_examples_use_only_it():
    import ast
    import textwrap

    import harness.contract

    guide = GUIDE.read_text()
    for name in harness.contract.__all__:
        assert f"`{name}`" in guide, f"docs/plugins.md does not list harness.contract.{name}"
    for block in _python_blocks(guide):
        for node in ast.walk(ast.parse(textwrap.dedent(block))):
            if not isinstance(node, ast.ImportFrom) or node.module is None:
                continue
            if node.module == "harness" or node.module.startswith("harness."):
                assert node.module.startswith(("harness.contract", "harness.testing")), (
                    f"a docs/plugins.md example imports {node.module}: use harness.contract"
                )
            if node.module == "harness.contract":
                for alias in node.names:
                    assert alias.name in harness.contract.__all__, alias.name


def test_guide_documents_the_plugin_settings_and_the_contract_kit():
    from harness import envvars

    guide = GUIDE.read_text()
    for variable in (envvars.DISABLE_PLUGINS, envvars.PLUGINS, envvars.PLUGINS_ALLOW,
                     envvars.TRACE_PLUGINS):  # fmt: skip
        assert f"`{variable}" in guide, variable
    assert "`harness -p no:NAME COMMAND …`" in guide and "--timings" in guide
    for helper in ("name", "plugin", "overrides", "invalid_overrides", "env", "primary_metric",
                   "self.train(home, *extra)", "self.select()", "self.cli_env()",
                   "show_run(run_id, home, env=None)", "assert_no_warnings(result, about=None)",
                   "assert_clean_error(result)"):  # fmt: skip
        assert f"| `{helper}` |" in guide, helper
    from harness.testing import contracts

    assert contracts._Contract.train.__doc__ and contracts.show_run.__doc__
