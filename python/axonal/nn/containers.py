"""ModuleList, ModuleDict, ParameterList, ParameterDict: containers whose entries register as submodules or
parameters (so parameters(), state_dict() and .to() see them), with torch's naming ("0", "1", ... or the keys)."""
from collections import OrderedDict

from .module import Module
from .parameter import Parameter


class ModuleList(Module):
    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _index(self, i):
        n = len(self._modules)
        if not -n <= i < n:
            raise IndexError(f"[ModuleList] index {i} is out of range for {n} modules")
        return i % n

    def __getitem__(self, i):
        if isinstance(i, slice):
            return ModuleList(list(self._modules.values())[i])
        return self._modules[str(self._index(i))]

    def __setitem__(self, i, module):
        self.add_module(str(self._index(i)), module)

    def __delitem__(self, i):
        items = list(self._modules.values())
        del items[i if isinstance(i, slice) else self._index(i)]
        self._modules.clear()
        for k, m in enumerate(items):
            self.add_module(str(k), m)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        self.add_module(str(len(self._modules)), module)
        return self

    def extend(self, modules):
        for m in modules:
            self.append(m)
        return self

    def insert(self, index, module):
        items = list(self._modules.values())
        items.insert(index, module)
        self._modules.clear()
        for k, m in enumerate(items):
            self.add_module(str(k), m)

    def forward(self, *args, **kwargs):
        raise NotImplementedError("[ModuleList] a ModuleList has no forward(); call its modules")


class ModuleDict(Module):
    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        self.add_module(key, module)

    def __delitem__(self, key):
        del self._modules[key]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def pop(self, key):
        return self._modules.pop(key)

    def update(self, modules):
        items = modules.items() if isinstance(modules, (dict, OrderedDict, ModuleDict)) else modules
        for key, m in items:
            self.add_module(key, m)

    def forward(self, *args, **kwargs):
        raise NotImplementedError("[ModuleDict] a ModuleDict has no forward(); call its modules")


class ParameterList(Module):
    def __init__(self, values=None):
        super().__init__()
        if values is not None:
            self.extend(values)

    def __getitem__(self, i):
        n = len(self._parameters)
        if not -n <= i < n:
            raise IndexError(f"[ParameterList] index {i} is out of range for {n} parameters")
        return self._parameters[str(i % n)]

    def __setitem__(self, i, value):
        self.register_parameter(str(i % len(self._parameters)), _as_parameter(value))

    def __len__(self):
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters.values())

    def append(self, value):
        self.register_parameter(str(len(self._parameters)), _as_parameter(value))
        return self

    def extend(self, values):
        for v in values:
            self.append(v)
        return self


class ParameterDict(Module):
    def __init__(self, parameters=None):
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key):
        return self._parameters[key]

    def __setitem__(self, key, value):
        self.register_parameter(key, _as_parameter(value))

    def __len__(self):
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters)

    def __contains__(self, key):
        return key in self._parameters

    def keys(self):
        return self._parameters.keys()

    def values(self):
        return self._parameters.values()

    def items(self):
        return self._parameters.items()

    def update(self, parameters):
        items = parameters.items() if hasattr(parameters, "items") else parameters
        for key, value in items:
            self[key] = value


def _as_parameter(value):
    return value if isinstance(value, Parameter) else Parameter(value)
