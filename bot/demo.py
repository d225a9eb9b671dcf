"""``mprofi-slack demo``: a scripted run on loopback with no account anywhere.

It starts the local mProfi simulator and a stand-in webhook receiver, then drives the
real mProfi client through a short story and prints what the phone and the receiver
saw.
"""

from __future__ import annotations

import asyncio
import json
from typing import TextIO

import httpx

from bot.mprofi import DeliveryStatus, MmsFile, MProfiClient, MProfiKeys
from bot.sandbox.loopback import LoopbackServer
from bot.sandbox.mprofi import SimulatorConfig, SimulatorState, create_simulator_app
from bot.sandbox.sink import RequestSink
from bot.sms.numbers import display, normalize
from bot.sms.text import analyze, wire_encoding

__all__ = ["run_demo"]

# A 1×1 PNG, small enough to read in a transcript.
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c"
    "6360000002000154a24f5d0000000049454e44ae426082"
)


async def run_demo(out: TextIO) -> int:
    def say(line: str = "") -> None:
        print(line, file=out, flush=True)

    receiver = RequestSink()
    state = SimulatorState(SimulatorConfig(status_step_seconds=0.2, webhook_retry_seconds=0.2))
    async with LoopbackServer(receiver, lifespan="off") as hooks, LoopbackServer(create_simulator_app(state)) as api:
        state.config.webhook_url = hooks.url + "/mprofi/incoming"
        state.config.push_url = hooks.url + "/mprofi/status"
        state.config.webhook_token = "demo-webhook-token"
        say(f"mProfi simulator  {api.url}/1.0/")
        say(f"webhook receiver  {hooks.url}/mprofi/incoming and /mprofi/status")
        say()
        async with httpx.AsyncClient(timeout=10) as http:
            client = MProfiClient(http, MProfiKeys(**state.config.keys), api.url + "/1.0/")
            customer = normalize("600 100 200")

            say(f"1. A customer texts in from {display(customer)}.")
            receiver.fail_next(1, 503)
            state.inject_inbound("48600100200", "Dzień dobry, kiedy dostawa?")
            requests = await receiver.wait_for(2)
            say(f"   webhook attempt 1 answered {requests[0].answered}; mProfi retried;"
                f" attempt 2 answered {requests[1].answered}")
            say(f"   receiver got: {requests[1].body.decode()}")
            say()

            reply = "Dzień dobry! Kurier będzie jutro między 9 a 12."
            info = analyze(reply)
            plain = analyze(reply, utf8=False)
            say("2. The team replies by SMS.")
            say(f"   text: {reply!r}")
            say(f"   {info.chars} characters, {info.encoding.value}, {info.parts} part(s);"
                f" without utf-8 the phone would read {plain.delivered!r}")
            sent = await client.send_sms(customer, reply, reference="demo-1", encoding=wire_encoding(reply))
            say(f"   mProfi accepted it as message {sent.id}")
            for _ in range(50):
                status = await client.get_status(sent.id)
                if status.status.is_final:
                    break
                await asyncio.sleep(0.1)
            history = " → ".join(s for s, _ in state.messages[sent.id].history)
            say(f"   status (PULL): {status.status.value}; history: {history}")
            pushes = [json.loads(r.body) for r in receiver.requests if r.path == "/mprofi/status"]
            say(f"   PUSH calls received: {[p['status'] for p in pushes]}")
            say(f"   the phone shows: {state.messages[sent.id].text!r}")
            say()

            say("3. The customer sends a photo (MMS).")
            state.inject_inbound("48600100200", "Tak wygląda paczka", images=[("paczka.png", TINY_PNG, "image/png")])
            mms = await receiver.wait_for(len(receiver.requests) + 1)
            last = [r for r in mms if r.path == "/mprofi/incoming"][-1]
            say(f"   receiver got multipart fields {last.form} and files "
                f"{ {k: (v[0], len(v[1])) for k, v in last.files.items()} }")
            say()

            say("4. Before a campaign, the team checks the number (HLR).")
            check = await client.hlr_single(customer)
            say(f"   {display(customer)}: {'valid' if check.valid else 'invalid'}, network {check.provider},"
                f" MCC {check.mcc} MNC {check.mnc}")
            say()

            say("5. An MMS goes out with a picture.")
            mms_sent = await client.send_mms(customer, "Potwierdzenie", file=MmsFile("ok.png", TINY_PNG, "image/png"))
            say(f"   mProfi accepted MMS {mms_sent.id} ({state.messages[mms_sent.id].file_size} bytes attached)")
            await asyncio.sleep(0.5)
            delivered = state.messages[mms_sent.id].status
            say(f"   its status now: {delivered}")
        await state.aclose()
    say()
    say("Done: every call above went over HTTP on 127.0.0.1.")
    return 0 if status.status is DeliveryStatus.DELIVERED else 1
