"""An SMPP server none of us wrote (smppy, from PyPI), for interoperability tests of our client.

Binds a transceiver, answers submit_sm, and echoes every received text back to the sender as a
mobile-originated deliver_sm: "You have sent <text> to me...". Prints what it receives, including
each deliver_sm_resp (smppy parses one PDU per TCP read, so a test waits for the acknowledgement
before sending the next PDU).

    python3 smppy_echo_server.py PORT
"""
import asyncio
import logging
import sys

from smppy import Application, SmppClient
from smppy.server import SmppProtocol


class EchoApp(Application):
    async def handle_bound_client(self, client: SmppClient):
        print(f"BOUND {client.system_id}", flush=True)
        return client

    async def handle_unbound_client(self, client: SmppClient):
        print("UNBOUND", flush=True)

    async def handle_sms_received(self, client: SmppClient, source_number: str, dest_number: str, text: str):
        print(f"SMS {source_number} -> {dest_number}: {text}", flush=True)
        await client.send_sms(source=dest_number, dest=source_number, text=f"You have sent {text} to me...")


class EchoProtocol(SmppProtocol):
    async def on_deliver_sm_resp(self, request):
        print(f"DELIVER_SM_RESP {request.sequence_number}", flush=True)


async def main(port: int):
    app = EchoApp(name="smppy", logger=logging.getLogger("smppy"))
    server = await asyncio.get_running_loop().create_server(lambda: EchoProtocol(app=app), "127.0.0.1", port)
    print(f"LISTENING {port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main(int(sys.argv[1])))
