"""The opgraph error tree.

::

    OpgraphError                  root of everything opgraph raises on purpose
    ├── SpecError                 the user's workflow is wrong; str() is "file:line:col: message"
    │   ├── YamlError             unreadable YAML, wrong keys, bad ids
    │   ├── UnknownOperatorError  no operator for a model_type_id (with did-you-mean)
    │   ├── ParamsError           an operator's Params rejected output_info.params
    │   ├── GraphError            cycle, dangling input, edge that cannot carry what a node reads
    │   └── SpecErrors            several of the above in one file: ``errors``, one per line
    ├── InputError                bad media or a bad request for one input
    │   └── AppError              a request to an app refused; carries Clarifai's status code
    ├── OperatorError             a node failed on one input (chains the cause)
    ├── DeliveryError             an action node could not deliver; its input still passes on
    └── StoreError                an app's database cannot be opened, read or written

API misuse (calling things in the wrong order, wrong Python types) raises plain
``TypeError`` / ``RuntimeError`` and is not part of this tree.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AppError",
    "DeliveryError",
    "GraphError",
    "InputError",
    "OperatorError",
    "OpgraphError",
    "ParamsError",
    "SpecError",
    "SpecErrors",
    "StoreError",
    "UnknownOperatorError",
    "YamlError",
]


class OpgraphError(Exception):
    """Root of the opgraph error tree.

    ``status_code`` is the Clarifai status code (clarifai-grpc's ``status_code_pb2``) that a
    request refused with this error answers with; None leaves the choice to the caller.
    """

    status_code: int | None = None

    def __init__(self, *args: object, status_code: int | None = None) -> None:
        super().__init__(*args)
        if status_code is not None:
            self.status_code = status_code


class SpecError(OpgraphError):
    """A workflow (or model catalog) file is wrong at a known place.

    ``str()`` is ``file:line:col: message``, or ``file: message`` for the file as a whole.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str = "<workflow>",
        line: int = 0,
        col: int = 0,
        node_id: str | None = None,
        key: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.col = col
        self.node_id = node_id
        self.key = key

    def __str__(self) -> str:
        if not self.line:  # about the file as a whole (unreadable, not UTF-8, ...)
            return f"{self.file}: {self.message}"
        return f"{self.file}:{self.line}:{self.col}: {self.message}"


class YamlError(SpecError):
    """The file is not valid YAML, or its keys and ids do not follow the workflow schema."""


class UnknownOperatorError(SpecError):
    """No registered operator (or model binding) answers to a node's type."""


class ParamsError(SpecError):
    """An operator's ``Params`` model rejected the node's ``output_info.params``."""


class GraphError(SpecError):
    """The nodes do not form a valid graph: cycle, dangling input, or a mismatched edge."""


class SpecErrors(SpecError):
    """Several mistakes in one file, in file order; ``str()`` gives one line for each.

    Its own ``file``, ``line``, ``col``, ``node_id`` and ``key`` are the first mistake's.
    """

    def __init__(self, errors: list[SpecError]) -> None:
        if not errors:
            raise ValueError("SpecErrors needs at least one error")
        first = errors[0]
        super().__init__(
            first.message,
            file=first.file,
            line=first.line,
            col=first.col,
            node_id=first.node_id,
            key=first.key,
        )
        self.errors = [e for err in errors for e in getattr(err, "errors", [err])]

    def __str__(self) -> str:
        return "\n".join(SpecError.__str__(e) for e in self.errors)


class InputError(OpgraphError):
    """One input is unusable: unreadable media, a missing field, a bad request."""


class AppError(InputError):
    """A request to an app is refused (unknown id, duplicate id, bad page, ...).

    ``code`` is Clarifai's status code for it (``status_code_pb2``), which responses carry
    as ``status.code``; nothing was changed in the app.
    """

    def __init__(self, message: str, *, code: int) -> None:
        super().__init__(message, status_code=code)
        self.message = message

    @property
    def code(self) -> int:
        """The same as ``status_code`` (always set for an ``AppError``)."""
        return int(self.status_code or 0)


class OperatorError(OpgraphError):
    """A node failed on one input; the cause is chained with ``from``."""

    def __init__(
        self, message: str, *, node_id: str, type_id: str, input_index: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.node_id = node_id
        self.type_id = type_id
        self.input_index = input_index

    def __str__(self) -> str:
        return f"node '{self.node_id}' ({self.type_id}): {self.message}"


class DeliveryError(OpgraphError):
    """An action node (results-push, email, sms, ...) could not deliver for one input.

    The node's status is this error, but ``data`` (its input) still passes on: a failed
    notification never stops the branch it sits on.
    """

    def __init__(self, message: str, data: Any) -> None:
        super().__init__(message)
        self.data = data


class StoreError(OpgraphError):
    """An app's database is missing, corrupt, locked by another writer or not writable."""
