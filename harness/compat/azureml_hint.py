"""A forgotten opt-in of the Azure ML v1 layer, explained where it happens.

Without ``harness compat azureml --install``, ``import azureml.core`` in a notebook
would fail with Python's bare ``No module named 'azureml'``. Installing the harness
also puts a copy of this module (``_harness_azureml_hint``) and the one-line
``harness_azureml_hint.pth`` at the root of site-packages (setup.py), so every
interpreter of the environment appends ``ForgottenAzuremlOptIn`` to the END of
``sys.meta_path`` at start-up. Script-mode jobs get the same finder from
``script_site/sitecustomize.py``.

Being last, the finder is asked only when every other finder found nothing for
the top-level name ``azureml``: a real Azure ML SDK (a namespace package found on
``sys.path``) and the opt-in shim (on ``sys.path`` through its own .pth) are found
first and are never shadowed. An ``import`` then fails with the same
``ModuleNotFoundError`` (``name='azureml'``) carrying a message that names the fix.
A probe (``importlib.util.find_spec("azureml")``, how libraries test for an optional
azureml) still gets ``None``, as without the harness.

Standalone on purpose: it runs at every interpreter start, so it imports nothing
beyond ``sys`` and ``types`` (both loaded by then) and never imports ``harness``.
"""

import sys
import types

MESSAGE = (
    "No module named 'azureml': the harness's Azure ML v1 layer is opt-in. Run "
    "`harness compat azureml --install` once in this Python environment (from a "
    "notebook: `!{sys.executable} -m harness compat azureml --install`, then restart "
    "the kernel); for a script-mode job set estimator.azureml_compat=true"
)

#: importlib.util is frozen in some builds and a plain file in others.
_UTIL_FILES = ("<frozen importlib.util>", "importlib/util.py", "importlib\\util.py")
_MACHINERY = ("<frozen importlib._bootstrap>", "<frozen importlib._bootstrap_external>")


def probing() -> bool:
    """True when the lookup comes from ``importlib.util.find_spec`` (a probe), not
    from an import: the first caller outside the frozen import machinery tells."""
    frame: types.FrameType | None = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename in _MACHINERY:
        frame = frame.f_back
    return (
        frame is not None
        and frame.f_code.co_name == "find_spec"
        and frame.f_code.co_filename.endswith(_UTIL_FILES)
    )


class ForgottenAzuremlOptIn:
    """The last finder on ``sys.meta_path``: only an ``azureml`` nobody provides reaches it."""

    harness_azureml_hint = True  # how install() recognises a copy from another module

    @classmethod
    def find_spec(cls, name, path=None, target=None):  # noqa: ANN001, ANN206
        if name != "azureml" or probing():
            return None
        raise ModuleNotFoundError(MESSAGE, name=name)

    @classmethod
    def invalidate_caches(cls) -> None:
        pass


def install() -> None:
    """Append the finder to ``sys.meta_path`` once (a second .pth pass, or script
    mode's copy alongside the site-packages one, adds nothing)."""
    if not any(getattr(f, "harness_azureml_hint", False) for f in sys.meta_path):
        sys.meta_path.append(ForgottenAzuremlOptIn)
