"""Widgets of the GMM & EM lab (vaeviz/ui/em/dock.py); pyqtgraph is imported only from build()."""
