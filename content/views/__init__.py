"""The UI of copy generation: the variants panel of the post editor (tabs per
channel, previews, the gate, edits, generation jobs and streaming) and the
workspace's AI settings. Views validate, call one service and answer."""
