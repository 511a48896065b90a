// Probes GET /health `probes` times, 10 ms apart, and prints the latencies (ms) as JSON: run as a
// process of its own, so that the figure is the service's and not the pauses of the test runner's
// much larger heap (its collector paused 15-19 ms there). Arguments: url, probes.
const [url, probes] = [process.argv[2], Number(process.argv[3])];
// Warm: the first requests of a process load fetch's client and open the connection.
for (let i = 0; i < 5; i++) await (await fetch(`${url}/health`)).arrayBuffer();
const latencies = [];
for (let i = 0; i < probes; i++) {
  const t = performance.now();
  const res = await fetch(`${url}/health`);
  await res.arrayBuffer();
  latencies.push(performance.now() - t);
  await new Promise((r) => setTimeout(r, 10));
}
process.stdout.write(JSON.stringify(latencies));
