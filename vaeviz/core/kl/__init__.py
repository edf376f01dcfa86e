"""The KL lab's maths: fitting a simple q to a complex p in both directions of the KL divergence."""
