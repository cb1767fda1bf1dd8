"""Files: streaming CSV export, data-set loading. No Qt."""
