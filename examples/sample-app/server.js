// Answers /health with 200 and everything else with the app's name: enough for a deploy to be checked.
import http from 'node:http'

const port = Number(process.env.PORT || 5000)
http
  .createServer((req, res) => {
    if (req.url === '/health') return res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n')
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`sample-app ${process.env.GIT_REV || ''}\n`)
  })
  .listen(port, () => console.log(`listening on ${port}`))
