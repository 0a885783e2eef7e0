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
