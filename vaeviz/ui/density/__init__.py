"""Density lab dock: estimate p_data, sample p_model, tractable vs intractable densities."""
