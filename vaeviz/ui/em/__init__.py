"""Widgets of the GMM & EM lab (vaeviz/ui/docks/em_dock.py); pyqtgraph is imported only from build()."""
