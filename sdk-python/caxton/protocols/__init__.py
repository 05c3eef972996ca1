"""FIPA interaction protocols: request/query, subscribe, contract-net."""
