"""``opgraph serve``: Clarifai's V2 API over gRPC and REST.

The only package that imports grpc or the web framework.  It translates protos to App
calls and back and holds no domain logic: ``routes`` (REST paths from the protos' HTTP
rules), ``codec`` (proto <-> JSON <-> our models), ``auth`` (tokens and scopes),
``service`` (one handler per method, errors as Clarifai statuses), ``handlers/`` (one
module per resource), ``server`` / ``grpc_server`` / ``rest`` (the transports).
"""

from engine.api.server import Limits, ServerState, serve

__all__ = ["Limits", "ServerState", "serve"]
