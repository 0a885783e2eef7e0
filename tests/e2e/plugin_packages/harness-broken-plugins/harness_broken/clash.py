from harness import hookimpl


@hookimpl
def harness_config_searchpath():
    return ["pkg://harness_broken.conf_clash"]
