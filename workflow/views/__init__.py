"""The pages that show several apps at once: the home page (overview, AI
spend), the post editor (copy variants and images panels, the approval card)
and the approval queue. Their URLs: workflow/urls.py."""
