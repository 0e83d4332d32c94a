// Sends mixed e-commerce events to a Segment-compatible collector with the unmodified
// @segment/analytics-node SDK; only `host` and `writeKey` differ from the SDK's defaults.
//
//   node send.mjs HOST WRITE_KEY COUNT OUT.json
//
// Writes OUT.json: {"sent": [...], "failures": [...], "requests": [...], "responses": [...]}:
// every event as the SDK delivered it (messageId included), in callback order; delivery
// failures; one entry per HTTP request the SDK made; and the status of each answer.
// Exits 1 if any event failed. The shopper journey mirrors tests/e2e/test_sdks.py.
import { writeFileSync } from 'node:fs'
import { randomUUID } from 'node:crypto'
import { Analytics } from '@segment/analytics-node'

const [host, writeKey, countArg, outPath] = process.argv.slice(2)
const count = Number.parseInt(countArg ?? '', 10)
if (!host || !writeKey || !Number.isInteger(count) || count < 1 || !outPath) {
  console.error('usage: node send.mjs HOST WRITE_KEY COUNT OUT.json')
  process.exit(2)
}

const round2 = (x) => Math.round(x * 100) / 100
const sku = (n) => `sku-${String(n % 50).padStart(3, '0')}`

/** One shopper's visit: browse anonymously, identify, alias, buy. Ten calls. */
function journey(tag, i) {
  const anonymousId = `anon-${tag}-${i}`
  const userId = `user-${tag}-${i}`
  const cartId = `cart-${tag}-${i}`
  const orderId = `order-${tag}-${i}`
  const [p, q] = [sku(i * 7), sku(i * 11 + 3)]
  const [priceP, priceQ] = [round2(10 + ((i * 37) % 9000) / 100), round2(5 + ((i * 53) % 4000) / 100)]
  const products = [
    { product_id: p, sku: p, name: `Product ${p}`, category: 'Shoes', price: priceP, quantity: 1 },
    { product_id: q, sku: q, name: `Product ${q}`, category: 'Socks', price: priceQ, quantity: 2 },
  ]
  const subtotal = round2(priceP + 2 * priceQ)
  return [
    ['page', { anonymousId, category: 'Storefront', name: 'Home', properties: { path: '/', url: 'https://shop.example/' } }],
    ['track', { anonymousId, event: 'Products Searched', properties: { query: `running shoes ${i % 5}` } }],
    ['track', { anonymousId, event: 'Product Viewed', properties: { ...products[0], currency: 'USD' } }],
    ['track', { anonymousId, event: 'Product Added', properties: { cart_id: cartId, ...products[0] } }],
    ['track', { anonymousId, event: 'Product Added to Wishlist', properties: { wishlist_id: `wl-${tag}-${i}`, ...products[1] } }],
    ['identify', { userId, anonymousId, traits: { email: `Shopper.${i}@Example.COM`, phone: `(415) 555-${String(i % 10000).padStart(4, '0')}`, first_name: 'Ana', loyalty_tier: 'gold' } }],
    ['alias', { previousId: anonymousId, userId }],
    ['track', { userId, event: 'Checkout Started', properties: { cart_id: cartId, value: subtotal, currency: 'USD', products } }],
    ['track', { userId, event: 'Order Completed', properties: { order_id: orderId, total: round2(subtotal + 4.99), revenue: subtotal, shipping: 4.99, tax: 0, currency: 'USD', products } }],
    ['page', { userId, category: 'Checkout', name: 'Order Confirmation', properties: { path: '/checkout/complete', order_id: orderId } }],
  ]
}

const analytics = new Analytics({ writeKey, host })
const tag = `node-${randomUUID().slice(0, 8)}`
const sent = []
const failures = []
const requests = []
const responses = []
const explicitMessageIds = []

analytics.on('http_request', (request) => {
  const body = JSON.parse(request.body)
  requests.push({
    events: body.batch.length,
    bytes: Buffer.byteLength(request.body),
    sentAt: body.sentAt,
    writeKeyInBody: body.writeKey === writeKey,
    contentEncoding: request.headers['Content-Encoding'] ?? null,
    retryCount: request.headers['X-Retry-Count'] ?? null,
    authorization: request.headers.Authorization.split(' ')[0],
  })
})
analytics.on('http_response', (response) => responses.push(response.status))
analytics.on('error', (error) => failures.push({ code: error.code, reason: String(error.reason) }))

let calls = 0
for (let i = 0; calls < count; i++) {
  for (const [method, params] of journey(tag, i)) {
    if (calls === count) break
    calls++
    // Half the shoppers get messageIds we choose; the SDK makes up the others'.
    if (i % 2 === 0) {
      params.messageId = `${tag}-${randomUUID()}`
      explicitMessageIds.push(params.messageId)
    }
    analytics[method](params, (err, ctx) => {
      if (err) failures.push({ code: 'callback', reason: String(err), messageId: ctx?.event.messageId })
      else sent.push(ctx.event)
    })
  }
}
await analytics.closeAndFlush()

writeFileSync(outPath, JSON.stringify({ sent, failures, requests, responses, explicitMessageIds }))
process.exit(failures.length === 0 && sent.length === count ? 0 : 1)
