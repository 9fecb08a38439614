"""Push operators: write a workflow's results back into the app."""
