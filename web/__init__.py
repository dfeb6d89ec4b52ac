"""The web front: the portal stand-in with the chat panel, the operators' console
and the conversation review. Imports the core (`claudia`), never `actions`."""
