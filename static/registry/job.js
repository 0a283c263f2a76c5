// A running job's page: poll its JSON status and move the progress bar; reload when it ends,
// so the errors and the result are drawn by the server.
(() => {
  const box = document.querySelector("[data-status-url]");
  if (!box) return;
  const bar = box.querySelector("[data-job-progress]");
  const state = box.querySelector("[data-job-state]");
  const message = box.querySelector("[data-job-message]");
  const labels = { queued: "Queued", running: "Running", succeeded: "Succeeded", failed: "Failed" };
  const poll = async () => {
    let job;
    try {
      const response = await fetch(box.dataset.statusUrl, { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(response.status);
      job = await response.json();
    } catch (error) {
      setTimeout(poll, 5000);
      return;
    }
    if (job.state === "succeeded" || job.state === "failed") {
      window.location.reload();
      return;
    }
    const { done, total } = job.progress;
    if (total) {
      bar.max = total;
      bar.value = done;
    }
    state.textContent = labels[job.state] || job.state;
    message.textContent = job.progress.message + (total ? ` (${done} / ${total})` : "");
    setTimeout(poll, 1000);
  };
  setTimeout(poll, 1000);
})();
