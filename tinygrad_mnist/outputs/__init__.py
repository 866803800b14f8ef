"""What a run writes and shows: metrics, figures, report.html, the graph,
predictions on your own images."""
