"""The window's 2-D views (contour map, curves, data, runs table, inspector): they draw frames
and problem views."""
