"""A wrapper=True harness_before_run around every other implementation: it writes
`wrapped.txt` into the run folder before and after them (no fault)."""

from harness.contract import hookimpl


@hookimpl(wrapper=True)
def harness_before_run(record):
    with open(record.path / "wrapped.txt", "a") as out:
        out.write("wrapper before\n")
    result = yield
    with open(record.path / "wrapped.txt", "a") as out:
        out.write("wrapper after\n")
    return result
