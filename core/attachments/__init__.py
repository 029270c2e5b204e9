"""Attachments: photos and documents kept on local disk, checked by content."""
