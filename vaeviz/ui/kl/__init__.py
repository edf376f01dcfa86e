"""The KL lab's UI: fit a simple q to a complex p in both KL directions (issue #15)."""
