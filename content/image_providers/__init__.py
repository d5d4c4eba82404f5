"""The implementations behind `content.images.get_image_provider`, one module each.

Imported lazily by the registry: `diffusion` imports torch and diffusers inside
its functions only, but even its module is loaded only by image jobs.
"""
