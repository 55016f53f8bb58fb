/** A response read to the end, so retry decisions and error messages can look at the body. */
export interface HttpResponse {
  status: number
  ok: boolean
  statusText: string
  headers: Headers
  text: string
  /** the body parsed as JSON; undefined when it is empty or not JSON */
  json(): unknown
}

export async function readResponse(res: Response): Promise<HttpResponse> {
  const text = await res.text()
  let parsed: { value: unknown } | undefined
  return {
    status: res.status,
    ok: res.ok,
    statusText: res.statusText,
    headers: res.headers,
    text,
    json() {
      if (!parsed) {
        try {
          parsed = { value: text ? JSON.parse(text) : undefined }
        } catch {
          parsed = { value: undefined }
        }
      }
      return parsed.value
    },
  }
}
