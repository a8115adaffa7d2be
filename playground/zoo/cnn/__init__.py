"""A convolutional network trained live on images (issue 12): config, task, session, views."""
