"""Privacy: private download files that age out, roles, log-in throttling, deleting a user's data."""
