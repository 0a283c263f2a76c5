// Report figures take seconds to draw: say so until each image has arrived.
for (const figure of document.querySelectorAll("[data-figure]")) {
  const image = figure.querySelector("img");
  const status = figure.querySelector(".figure-status");
  const done = () => {
    figure.classList.remove("loading");
    status.textContent = "";
  };
  if (image.complete && image.naturalWidth) done();
  image.addEventListener("load", done);
  image.addEventListener("error", () => {
    figure.classList.remove("loading");
    figure.classList.add("failed");
    status.textContent = "The figure could not be drawn; reload the page to try again.";
  });
}
