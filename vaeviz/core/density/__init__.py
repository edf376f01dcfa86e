"""Density lab maths: estimators of a 1-D or 2-D density with one interface, and the data they fit."""
