"""Package attributes loaded on first use (PEP 562).

A package whose `__init__` imported its modules eagerly would start TensorFlow (5-7 s) for any import inside it,
even of a module that needs none, such as the presets or the export modes that the command line's `--help` shows.
"""

import importlib
import sys


def lazy_attributes(package, names):
    """`__getattr__` and `__dir__` for the package named `package`: `names` maps each public name to the module that
    defines it, imported on first use (a name that is the module's own last component is the module itself)."""
    namespace = sys.modules[package].__dict__

    def __getattr__(name):  # noqa: N807  (the module hook's name)
        if name not in names:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = importlib.import_module(names[name])
        value = module if module.__name__ == f"{package}.{name}" else getattr(module, name)
        namespace[name] = value
        return value

    def __dir__():  # noqa: N807
        return sorted(set(namespace) | set(names))

    return __getattr__, __dir__
