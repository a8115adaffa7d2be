"""The live view: frames computed on the server, played back in the browser."""
